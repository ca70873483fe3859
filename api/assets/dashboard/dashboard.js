// The meeting-room dashboard. A client like any other: it signs in with the `login` mutation,
// reads the public GraphQL API (`/graphql`) and refreshes itself when the subscriptions of
// `/graphql/ws` (graphql-transport-ws) announce a change. Plain JavaScript, no build step, nothing
// loaded from outside this server.
(function () {
  'use strict';

  const TOKEN_KEY = 'lianjian.dashboard.token';
  const GROUP_KEY = 'lianjian.dashboard.group';
  // Events often come in bursts (a review touches several items): one refresh per burst.
  const REFRESH_DEBOUNCE_MS = 1000;
  // A fallback for what no event announces (the date changing, a round closing).
  const PERIODIC_REFRESH_MS = 5 * 60 * 1000;
  // After a failed refresh (the server restarting, the network gone), try again sooner.
  const RETRY_REFRESH_MS = 30 * 1000;
  const PING_INTERVAL_MS = 25 * 1000;
  const SILENCE_LIMIT_MS = 70 * 1000;
  const MAX_BACKOFF_MS = 30 * 1000;
  const ROUNDS_SHOWN = 12;
  const ACTIVITIES_SHOWN = 10;

  const LEVELS = ['REMIND', 'URGE', 'SUPERVISE', 'REPORT'];
  const ACTIVITY_KINDS = {
    THEMED_PARTY_DAY: '主题党日',
    STUDY_SESSION: '学习会',
    VOLUNTEER_SERVICE: '志愿服务',
    PATROL: '巡查',
    MEDIATION: '矛盾调解',
    PUBLICITY: '宣传',
    JOINT_MEETING: '联席会议',
    OTHER: '其他',
  };
  const ACTIVITY_STATUSES = {
    PLANNED: '计划中',
    CONFIRMED: '已确认',
    COMPLETED: '已完成',
    CANCELLED: '已取消',
  };
  const WEEKDAYS = ['星期日', '星期一', '星期二', '星期三', '星期四', '星期五', '星期六'];

  const LOGIN = `mutation DashboardLogin($input: LoginInput!) {
    login(input: $input) { token expiresAt viewer { user { username } } } }`;

  const GROUPS = `query DashboardGroups {
    viewer { user { username } }
    linkageGroups(first: 100) { nodes { id name } } }`;

  // Statistics are a separate request: a viewer who may read the group's items but not its
  // figures gets FORBIDDEN there, and a failing non-null root field would blank everything else.
  const YEAR_STATISTICS = `query DashboardYear($g: ID!, $from: Date!, $to: Date!) {
    statistics(linkageGroupId: $g, from: $from, to: $to) {
      asOf
      supervision { opened closed closedOnTime overdueNow
        onTimeRate { numerator denominator value asOf }
        byOrganization { organization { id name } overdueNow } }
      appeals { collected resolved rejected open
        resolutionRate { numerator denominator value asOf }
        satisfactionRate { numerator denominator value asOf } } } }`;

  const PERIOD_STATISTICS = `query DashboardRound($g: ID!, $from: Date!, $to: Date!) {
    statistics(linkageGroupId: $g, from: $from, to: $to) {
      asOf supervision { closed closedOnTime onTimeRate { numerator denominator value asOf } } } }`;

  const ROUNDS_AND_ACTIVITIES = `query DashboardBoard($g: ID!, $today: Date!, $rounds: Int!, $activities: Int!) {
    supervisionRounds(linkageGroupId: $g, first: $rounds) {
      nodes { id number startsOn endsOn status snapshot { closed closedOnTime } } }
    jointActivities(
      filter: { linkageGroupId: $g, fromDate: $today, statuses: [PLANNED, CONFIRMED] }
      first: $activities
    ) {
      countUpTo(limit: 1000) { count exact }
      nodes { id title kind status venue startsAt endsAt startsOn host { id name shortName } } } }`;

  // Every open item at a rung of the ladder, a page at a time: the overdue ones (URGE and up)
  // and those due within three working days (REMIND).
  const LADDER_ITEMS = `query DashboardItems($g: ID!, $after: String) {
    supervisionItems(
      filter: { linkageGroupId: $g, escalationLevels: [REMIND, URGE, SUPERVISE, REPORT] }
      first: 100
      after: $after
    ) {
      pageInfo { hasNextPage endCursor }
      nodes { id overdue escalationLevel dueOn daysRemaining
        leadOrganization { id name shortName } } } }`;

  const SUBSCRIPTIONS = [
    'subscription DashboardItems($g: ID) { supervisionItemEvents(filter: { linkageGroupId: $g }) { position } }',
    'subscription DashboardAlerts { deadlineAlerts { position } }',
    'subscription DashboardActivities($g: ID) { jointActivityEvents(filter: { linkageGroupId: $g }) { position } }',
    'subscription DashboardAppeals { residentAppealEvents { position } }',
  ];

  const state = {
    token: null,
    username: null,
    groups: [],
    groupId: null,
    // The server's today (`Statistics.asOf`), which may differ from this screen's clock.
    today: null,
    socket: null,
    socketAttempts: 0,
    reconnectTimer: null,
    pingTimer: null,
    lastHeard: 0,
    refreshTimer: null,
    periodicTimer: null,
    refreshing: false,
    refreshAgain: false,
    refreshes: 0,
    events: 0,
    // What was drawn last, to draw the chart again at a new size.
    lastPanels: null,
    resizeTimer: null,
  };

  const byId = (id) => document.getElementById(id);

  class ApiError extends Error {
    constructor(code, message, field) {
      super(message);
      this.code = code;
      this.field = field || null;
    }
  }

  // ---------------------------------------------------------------- the API

  async function gql(query, variables, token) {
    const headers = { 'content-type': 'application/json' };
    if (token) {
      headers.authorization = 'Bearer ' + token;
    }
    let response;
    try {
      response = await fetch('/graphql', {
        method: 'POST',
        headers,
        body: JSON.stringify({ query, variables }),
        cache: 'no-store',
        credentials: 'omit',
      });
    } catch (e) {
      throw new ApiError('NETWORK', '无法连接服务器');
    }
    let body;
    try {
      body = await response.json();
    } catch (e) {
      throw new ApiError('INTERNAL', '服务器返回了无法识别的应答（HTTP ' + response.status + '）');
    }
    if (body.errors && body.errors.length) {
      const first = body.errors[0];
      const extensions = first.extensions || {};
      throw new ApiError(extensions.code || 'INTERNAL', first.message || extensions.code, extensions.field);
    }
    if (!body.data) {
      throw new ApiError('INTERNAL', '服务器没有返回数据（HTTP ' + response.status + '）');
    }
    return body.data;
  }

  function api(query, variables) {
    return gql(query, variables, state.token);
  }

  // A promise's outcome without throwing, so that one panel's failure leaves the others shown.
  function settle(promise) {
    return promise.then(
      (value) => ({ ok: true, value }),
      (error) => ({ ok: false, error }),
    );
  }

  function reason(error) {
    if (!(error instanceof ApiError)) {
      return '出错了：' + (error && error.message ? error.message : String(error));
    }
    switch (error.code) {
      case 'FORBIDDEN':
      case 'NOT_FOUND':
        return '当前账号无权查看此项（需联建组的督办或委员会办公室权限）';
      case 'NETWORK':
        return '无法连接服务器，稍后自动重试';
      case 'RATE_LIMITED':
        return '请求过于频繁，稍后自动重试';
      default:
        return '读取失败：' + error.message;
    }
  }

  // ---------------------------------------------------------------- dates and numbers

  function localToday() {
    const now = new Date();
    return now.getFullYear() + '-' + pad(now.getMonth() + 1) + '-' + pad(now.getDate());
  }

  function pad(n) {
    return String(n).padStart(2, '0');
  }

  function parseDate(text) {
    const [y, m, d] = text.split('-').map(Number);
    return new Date(Date.UTC(y, m - 1, d));
  }

  function formatDate(date) {
    return date.getUTCFullYear() + '-' + pad(date.getUTCMonth() + 1) + '-' + pad(date.getUTCDate());
  }

  function addDays(text, days) {
    const date = parseDate(text);
    date.setUTCDate(date.getUTCDate() + days);
    return formatDate(date);
  }

  function weekday(text) {
    return WEEKDAYS[parseDate(text).getUTCDay()];
  }

  function monthDay(text) {
    const [, m, d] = text.split('-').map(Number);
    return m + '月' + d + '日';
  }

  // Times as the server renders them, in the deployment's time zone (`...T09:00:00+08:00`):
  // the screen's own time zone does not matter.
  function clock(dateTime) {
    return dateTime.slice(11, 16);
  }

  // numerator / denominator in percent with one decimal, rounded half up in integers so every
  // screen shows the same digits; '—' for 0/0.
  function percent(numerator, denominator) {
    if (!denominator) {
      return '—';
    }
    const tenths = Math.floor((2 * numerator * 1000 + denominator) / (2 * denominator));
    return Math.floor(tenths / 10) + '.' + (tenths % 10) + '%';
  }

  // ---------------------------------------------------------------- the page's elements

  function figure(key) {
    return document.querySelector('[data-figure="' + CSS.escape(key) + '"]');
  }

  function setFigure(key, text) {
    const el = figure(key);
    if (el) {
      el.textContent = String(text);
    }
    return el;
  }

  function setRate(key, rate) {
    const el = figure(key);
    if (!el) {
      return;
    }
    if (!rate) {
      el.textContent = '—';
      delete el.dataset.numerator;
      delete el.dataset.denominator;
      el.title = '';
    } else {
      el.textContent = percent(rate.numerator, rate.denominator);
      el.dataset.numerator = String(rate.numerator);
      el.dataset.denominator = String(rate.denominator);
      el.title = rate.numerator + ' / ' + rate.denominator;
    }
    const detail = el.parentElement && el.parentElement.querySelector('.detail');
    if (detail) {
      detail.textContent = rate ? rate.numerator + ' / ' + rate.denominator : '';
    }
  }

  function element(tag, className, text) {
    const el = document.createElement(tag);
    if (className) {
      el.className = className;
    }
    if (text !== undefined) {
      el.textContent = String(text);
    }
    return el;
  }

  function showError(id, message) {
    const el = byId(id);
    el.textContent = message || '';
    el.hidden = !message;
  }

  function setConnection(stateName, text) {
    const el = byId('connection');
    el.dataset.state = stateName;
    el.textContent = text;
  }

  // ---------------------------------------------------------------- signing in and out

  function takeTokenFromFragment() {
    const fragment = location.hash.replace(/^#/, '');
    if (!fragment) {
      return false;
    }
    const token = new URLSearchParams(fragment).get('token');
    // The token leaves the address bar at once: it is kept in this tab's session only.
    history.replaceState(null, '', location.pathname + location.search);
    if (!token) {
      return false;
    }
    sessionStorage.setItem(TOKEN_KEY, token);
    return true;
  }

  async function signIn(event) {
    event.preventDefault();
    const username = byId('username').value.trim();
    const password = byId('password').value;
    const button = byId('login-submit');
    showError('login-error', '');
    button.disabled = true;
    try {
      const data = await gql(LOGIN, { input: { username, password } }, null);
      sessionStorage.setItem(TOKEN_KEY, data.login.token);
      byId('password').value = '';
      start();
    } catch (error) {
      let message;
      const credentials = ['username', 'password'];
      if (error instanceof ApiError && error.code === 'BAD_USER_INPUT' && credentials.includes(error.field)) {
        message = '用户名或密码错误';
      } else if (error instanceof ApiError && error.code === 'UNAUTHENTICATED') {
        message = '用户名或密码错误，或账号已停用';
      } else if (error instanceof ApiError && error.code === 'RATE_LIMITED') {
        message = '登录尝试过于频繁，请稍后再试';
      } else if (error instanceof ApiError && error.code === 'NETWORK') {
        message = '无法连接服务器';
      } else {
        message = '登录失败：' + (error && error.message ? error.message : String(error));
      }
      showError('login-error', message);
    } finally {
      button.disabled = false;
    }
  }

  function signOut(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    state.token = null;
    state.username = null;
    state.today = null;
    state.groupId = null;
    stop();
    clearBoard();
    byId('board').hidden = true;
    byId('sign-out').hidden = true;
    byId('group-picker-label').hidden = true;
    byId('viewer').textContent = '';
    showError('board-error', '');
    setConnection('offline', '● 未连接');
    byId('login').hidden = false;
    showError('login-error', message || '');
    byId('username').focus();
  }

  function start() {
    state.token = sessionStorage.getItem(TOKEN_KEY);
    if (!state.token) {
      signOut();
      return;
    }
    stop();
    // The first read of the groups picks one and opens the socket, subscribed for it.
    state.groupId = null;
    byId('login').hidden = true;
    showError('login-error', '');
    byId('board').hidden = false;
    byId('sign-out').hidden = false;
    refresh();
    state.periodicTimer = setInterval(scheduleRefresh, PERIODIC_REFRESH_MS);
  }

  function stop() {
    clearInterval(state.periodicTimer);
    clearTimeout(state.refreshTimer);
    clearTimeout(state.reconnectTimer);
    clearInterval(state.pingTimer);
    state.periodicTimer = null;
    state.refreshTimer = null;
    state.reconnectTimer = null;
    state.pingTimer = null;
    const socket = state.socket;
    state.socket = null;
    if (socket) {
      socket.close(1000, 'signed out');
    }
  }

  // An expired or revoked token: back to the sign-in form, with a word on why.
  function expired() {
    signOut('登录已失效，请重新登录');
  }

  // ---------------------------------------------------------------- refreshing

  function scheduleRefresh(delay) {
    clearTimeout(state.refreshTimer);
    state.refreshTimer = setTimeout(refresh, delay === undefined ? REFRESH_DEBOUNCE_MS : delay);
  }

  async function refresh() {
    if (!state.token) {
      return;
    }
    if (state.refreshing) {
      state.refreshAgain = true;
      return;
    }
    state.refreshing = true;
    const token = state.token;
    try {
      await loadGroups();
      if (!state.groupId) {
        clearBoard();
        showError('board-error', '当前账号没有可查看的联建组');
        return;
      }
      let today = state.today || localToday();
      let panels = await loadPanels(state.groupId, today);
      if (panels.asOf && panels.asOf !== today) {
        // The server's day differs from the screen's (or midnight passed): ask again for it.
        today = panels.asOf;
        panels = await loadPanels(state.groupId, today);
      }
      if (token !== state.token) {
        return;
      }
      state.today = panels.asOf || today;
      render(panels);
      state.refreshes += 1;
      document.body.dataset.refreshes = String(state.refreshes);
      const now = new Date();
      byId('as-of').textContent =
        '更新于 ' + pad(now.getHours()) + ':' + pad(now.getMinutes()) + ':' + pad(now.getSeconds());
      byId('as-of').dataset.at = now.toISOString();
      const failed = panels.failures.filter((e) => !(e instanceof ApiError) || !['FORBIDDEN', 'NOT_FOUND'].includes(e.code));
      showError('board-error', failed.length ? reason(failed[0]) : '');
      if (failed.length) {
        scheduleRefresh(RETRY_REFRESH_MS);
      }
    } catch (error) {
      if (error instanceof ApiError && error.code === 'UNAUTHENTICATED') {
        expired();
        return;
      }
      showError('board-error', reason(error));
      scheduleRefresh(RETRY_REFRESH_MS);
    } finally {
      state.refreshing = false;
      if (state.refreshAgain) {
        state.refreshAgain = false;
        scheduleRefresh(0);
      }
    }
  }

  async function loadGroups() {
    const data = await api(GROUPS, {});
    state.username = data.viewer.user.username;
    byId('viewer').textContent = '当前账号：' + state.username;
    state.groups = data.linkageGroups.nodes;
    const wanted = new URLSearchParams(location.search).get('group');
    const known = (id) => state.groups.some((g) => g.id === id);
    let chosen = null;
    if (wanted && known(wanted)) {
      chosen = wanted;
    } else if (state.groupId && known(state.groupId)) {
      chosen = state.groupId;
    } else if (known(sessionStorage.getItem(GROUP_KEY))) {
      chosen = sessionStorage.getItem(GROUP_KEY);
    } else if (state.groups.length) {
      chosen = state.groups[0].id;
    }
    if (wanted && !known(wanted) && state.groups.length) {
      showError('board-error', '无法查看地址中指定的联建组，已显示第一个可查看的联建组');
    }
    const changed = chosen !== state.groupId;
    state.groupId = chosen;
    renderPicker();
    if (changed && chosen) {
      // The subscriptions are filtered by group.
      connect();
    }
  }

  function renderPicker() {
    const picker = byId('group-picker');
    picker.replaceChildren(
      ...state.groups.map((g) => {
        const option = element('option', null, g.name);
        option.value = g.id;
        option.selected = g.id === state.groupId;
        return option;
      }),
    );
    byId('group-picker-label').hidden = state.groups.length < 2;
    const group = state.groups.find((g) => g.id === state.groupId);
    byId('group-name').textContent = group ? group.name + ' · 督办看板' : '党建联建督办看板';
    document.title = group ? group.name + ' · 督办看板' : '党建联建督办看板';
  }

  function chooseGroup() {
    const id = byId('group-picker').value;
    state.groupId = id;
    sessionStorage.setItem(GROUP_KEY, id);
    const params = new URLSearchParams(location.search);
    params.set('group', id);
    history.replaceState(null, '', location.pathname + '?' + params.toString());
    clearBoard();
    connect();
    scheduleRefresh(0);
  }

  async function loadAllItems(groupId) {
    const items = [];
    let after = null;
    for (;;) {
      const data = await api(LADDER_ITEMS, { g: groupId, after });
      const page = data.supervisionItems;
      items.push(...page.nodes);
      if (!page.pageInfo.hasNextPage || !page.pageInfo.endCursor) {
        return items;
      }
      after = page.pageInfo.endCursor;
    }
  }

  // Every panel's data for the group, each part on its own so one refusal leaves the rest.
  async function loadPanels(groupId, today) {
    const yearStart = today.slice(0, 4) + '-01-01';
    const [year, board, items] = await Promise.all([
      settle(api(YEAR_STATISTICS, { g: groupId, from: yearStart, to: today })),
      settle(api(ROUNDS_AND_ACTIVITIES, { g: groupId, today, rounds: ROUNDS_SHOWN, activities: ACTIVITIES_SHOWN })),
      settle(loadAllItems(groupId)),
    ]);
    const outcomes = [year, board, items];
    let current = null;
    const open = board.ok && board.value.supervisionRounds.nodes.find((r) => r.status === 'OPEN');
    if (open) {
      // The open round has no snapshot yet: its figure so far, from the statistics over its days.
      const to = open.endsOn < today ? open.endsOn : today;
      current = await settle(api(PERIOD_STATISTICS, { g: groupId, from: open.startsOn, to }));
      outcomes.push(current);
    }
    for (const outcome of outcomes) {
      if (!outcome.ok && outcome.error instanceof ApiError && outcome.error.code === 'UNAUTHENTICATED') {
        throw outcome.error;
      }
    }
    let asOf = year.ok ? year.value.statistics.asOf : null;
    if (!asOf && items.ok) {
      // Without the figures, today as the server counts it from an open item's due date.
      const item = items.value[0];
      if (item) {
        asOf = addDays(item.dueOn, -item.daysRemaining);
      }
    }
    return {
      today,
      yearStart,
      asOf,
      year,
      board,
      items,
      current,
      open,
      failures: outcomes.filter((o) => !o.ok).map((o) => o.error),
    };
  }

  // ---------------------------------------------------------------- rendering

  function clearBoard() {
    state.lastPanels = null;
    for (const el of document.querySelectorAll('main [data-figure]')) {
      el.textContent = '—';
    }
    byId('overdue-rows').replaceChildren();
    byId('overdue-totals').replaceChildren();
    byId('rounds-chart').replaceChildren();
    byId('activities-list').replaceChildren();
    byId('appeals-period').textContent = '';
    byId('today').textContent = '';
  }

  function render(panels) {
    const asOf = panels.asOf || panels.today;
    const today = byId('today');
    today.textContent = asOf + ' ' + weekday(asOf);
    today.dataset.date = asOf;
    renderOverdue(panels.items);
    renderYear(panels.year);
    renderRounds(panels.board, panels.open, panels.current);
    state.lastPanels = panels;
    renderActivities(panels.board);
    renderAppeals(panels.year, panels.yearStart, asOf);
  }

  function renderOverdue(items) {
    const rows = byId('overdue-rows');
    const totals = byId('overdue-totals');
    if (!items.ok) {
      setFigure('overdue-total', '—');
      setFigure('remind-total', '—');
      const tr = element('tr');
      const td = element('td', 'message', reason(items.error));
      td.colSpan = 6;
      tr.append(td);
      rows.replaceChildren(tr);
      totals.replaceChildren();
      return;
    }
    const byOrganization = new Map();
    const levelTotals = { REMIND: 0, URGE: 0, SUPERVISE: 0, REPORT: 0 };
    let overdue = 0;
    for (const item of items.value) {
      const org = item.leadOrganization;
      let row = byOrganization.get(org.id);
      if (!row) {
        row = { org, levels: { REMIND: 0, URGE: 0, SUPERVISE: 0, REPORT: 0 }, overdue: 0 };
        byOrganization.set(org.id, row);
      }
      if (LEVELS.includes(item.escalationLevel)) {
        row.levels[item.escalationLevel] += 1;
        levelTotals[item.escalationLevel] += 1;
      }
      if (item.overdue) {
        row.overdue += 1;
        overdue += 1;
      }
    }
    // Most overdue first, the most serious rung breaking ties, then by name.
    const ordered = [...byOrganization.values()].sort((a, b) => {
      if (b.overdue !== a.overdue) {
        return b.overdue - a.overdue;
      }
      for (const level of ['REPORT', 'SUPERVISE', 'URGE', 'REMIND']) {
        if (b.levels[level] !== a.levels[level]) {
          return b.levels[level] - a.levels[level];
        }
      }
      return a.org.name < b.org.name ? -1 : a.org.name > b.org.name ? 1 : 0;
    });
    const cell = (key, count, className) => {
      const td = element('td', className + (count === 0 ? ' zero' : ''), count);
      td.dataset.figure = key;
      return td;
    };
    rows.replaceChildren(
      ...ordered.map((row) => {
        const tr = element('tr');
        tr.dataset.organization = row.org.id;
        const name = element('td', 'organization', row.org.shortName || row.org.name);
        name.title = row.org.name;
        tr.append(name);
        for (const level of LEVELS) {
          tr.append(cell('overdue:' + row.org.id + ':' + level, row.levels[level], 'level-' + level));
        }
        tr.append(cell('overdue:' + row.org.id + ':TOTAL', row.overdue, 'total'));
        return tr;
      }),
    );
    if (!ordered.length) {
      const tr = element('tr');
      const td = element('td', 'message', '暂无逾期或临期事项');
      td.colSpan = 6;
      tr.append(td);
      rows.append(tr);
    }
    const tr = element('tr');
    tr.append(element('td', null, '合计'));
    for (const level of LEVELS) {
      tr.append(cell('overdue-level:' + level, levelTotals[level], 'level-' + level));
    }
    tr.append(cell('overdue-level:TOTAL', overdue, 'total'));
    totals.replaceChildren(tr);
    setFigure('overdue-total', overdue);
    setFigure('remind-total', levelTotals.REMIND);
  }

  function renderYear(year) {
    if (!year.ok) {
      setRate('supervision-on-time-rate', null);
      setFigure('supervision-closed', '—');
      setFigure('supervision-closed-on-time', '—');
      return;
    }
    const supervision = year.value.statistics.supervision;
    setRate('supervision-on-time-rate', supervision.onTimeRate);
    setFigure('supervision-closed', supervision.closed);
    setFigure('supervision-closed-on-time', supervision.closedOnTime);
  }

  function renderRounds(board, open, current) {
    const svg = byId('rounds-chart');
    // The chart is an <svg> of the page, so its namespace comes from the parser.
    const ns = svg.namespaceURI;
    const make = (tag, attributes, text) => {
      const el = document.createElementNS(ns, tag);
      for (const [name, value] of Object.entries(attributes)) {
        el.setAttribute(name, String(value));
      }
      if (text !== undefined) {
        el.textContent = String(text);
      }
      return el;
    };
    svg.replaceChildren();
    if (!board.ok) {
      byId('rounds-empty').hidden = false;
      byId('rounds-empty').textContent = reason(board.error);
      return;
    }
    const rounds = board.value.supervisionRounds.nodes.slice().sort((a, b) => a.number - b.number);
    byId('rounds-empty').textContent = '暂无督办周期（或当前账号无权查看）';
    byId('rounds-empty').hidden = rounds.length > 0;
    if (!rounds.length) {
      return;
    }
    // One unit of the drawing is one CSS pixel of the panel, so the labels keep the page's sizes.
    const width = Math.max(svg.clientWidth, 320);
    const height = Math.max(svg.clientHeight, 200);
    svg.setAttribute('viewBox', '0 0 ' + width + ' ' + height);
    const rem = parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
    const left = 3.5 * rem;
    const right = rem;
    const top = 2.2 * rem;
    const bottom = 3.4 * rem;
    const plot = Math.max(height - top - bottom, 40);
    for (const tick of [0, 50, 100]) {
      const y = top + plot - (plot * tick) / 100;
      svg.append(make('line', { x1: left, x2: width - right, y1: y, y2: y, class: tick === 0 ? 'axis' : 'grid' }));
      svg.append(make('text', { x: left - 0.5 * rem, y: y + 0.3 * rem, 'text-anchor': 'end', class: 'tick' }, tick + '%'));
    }
    const slot = (width - left - right) / rounds.length;
    const barWidth = Math.min(4 * rem, slot * 0.6);
    rounds.forEach((round, index) => {
      const isOpen = round.status === 'OPEN';
      let closed = null;
      let onTime = null;
      if (!isOpen && round.snapshot) {
        closed = round.snapshot.closed;
        onTime = round.snapshot.closedOnTime;
      } else if (isOpen && open && open.id === round.id && current && current.ok) {
        closed = current.value.statistics.supervision.closed;
        onTime = current.value.statistics.supervision.closedOnTime;
      }
      const center = left + slot * index + slot / 2;
      const value = closed ? onTime / closed : 0;
      const barHeight = Math.max(closed ? 2 : 0, plot * value);
      svg.append(
        make('rect', {
          x: center - barWidth / 2,
          y: top + plot - barHeight,
          width: barWidth,
          height: barHeight,
          class: 'column' + (isOpen ? ' open' : value < 0.8 ? ' low' : ''),
        }),
      );
      const label = make(
        'text',
        { x: center, y: top + plot - barHeight - 0.4 * rem, 'text-anchor': 'middle', class: 'rate' },
        closed ? percent(onTime, closed) : '—',
      );
      label.setAttribute('data-figure', 'round-rate:' + round.number);
      label.setAttribute('data-status', round.status);
      if (closed !== null) {
        label.setAttribute('data-numerator', String(onTime));
        label.setAttribute('data-denominator', String(closed));
      }
      svg.append(label);
      svg.append(make('text', { x: center, y: top + plot + 1.4 * rem, 'text-anchor': 'middle' }, '第' + round.number + '轮'));
      const note = isOpen ? '进行中' : closed ? onTime + '/' + closed + ' 件' : '无办结';
      svg.append(make('text', { x: center, y: top + plot + 2.7 * rem, 'text-anchor': 'middle', class: 'count' }, note));
    });
  }

  function renderActivities(board) {
    const list = byId('activities-list');
    const empty = byId('activities-empty');
    if (!board.ok) {
      setFigure('activities-upcoming', '—');
      list.replaceChildren();
      empty.textContent = reason(board.error);
      empty.hidden = false;
      return;
    }
    const connection = board.value.jointActivities;
    // "1000+" when there are more: counting every one would cost more than the board.
    const upcoming = connection.countUpTo;
    setFigure('activities-upcoming', upcoming.exact ? upcoming.count : upcoming.count + '+');
    empty.textContent = '近期暂无联建活动';
    empty.hidden = connection.nodes.length > 0;
    list.replaceChildren(
      ...connection.nodes.map((activity) => {
        const li = element('li');
        li.dataset.activity = activity.id;
        const when = element('div', 'when', monthDay(activity.startsOn) + ' 周' + weekday(activity.startsOn).slice(2));
        const time = element('small', null, clock(activity.startsAt) + '–' + clock(activity.endsAt));
        when.append(time);
        const title = element('div', 'title', activity.title);
        title.dataset.field = 'title';
        title.append(element('span', 'status', ACTIVITY_STATUSES[activity.status] || activity.status));
        const host = activity.host.shortName || activity.host.name;
        const meta = element(
          'div',
          'meta',
          (ACTIVITY_KINDS[activity.kind] || activity.kind) + ' · 主办：' + host + ' · 地点：' + activity.venue,
        );
        li.append(when, title, meta);
        return li;
      }),
    );
  }

  function renderAppeals(year, yearStart, asOf) {
    const keys = ['appeals-resolved', 'appeals-collected', 'appeals-open', 'appeals-rejected'];
    if (!year.ok) {
      keys.forEach((key) => setFigure(key, '—'));
      setRate('appeals-resolution-rate', null);
      setRate('appeals-satisfaction-rate', null);
      byId('appeals-period').textContent = reason(year.error);
      return;
    }
    const appeals = year.value.statistics.appeals;
    setFigure('appeals-resolved', appeals.resolved);
    setFigure('appeals-collected', appeals.collected);
    setFigure('appeals-open', appeals.open);
    setFigure('appeals-rejected', appeals.rejected);
    setRate('appeals-resolution-rate', appeals.resolutionRate);
    setRate('appeals-satisfaction-rate', appeals.satisfactionRate);
    byId('appeals-period').textContent =
      '统计 ' + yearStart + ' 至 ' + asOf + ' 收集的诉求，状态截至 ' + asOf +
      '。办结率 = 已办结 ÷（收集数 − 仍在办理时限内的）；满意率 = 满意 ÷ 已回访。';
  }

  // ---------------------------------------------------------------- live updates

  function socketUrl() {
    return (location.protocol === 'https:' ? 'wss:' : 'ws:') + '//' + location.host + '/graphql/ws';
  }

  function connect() {
    if (!state.token) {
      return;
    }
    clearTimeout(state.reconnectTimer);
    clearInterval(state.pingTimer);
    const previous = state.socket;
    state.socket = null;
    if (previous) {
      previous.close(1000, 'reconnecting');
    }
    setConnection('connecting', '● 连接中…');
    let socket;
    try {
      socket = new WebSocket(socketUrl(), 'graphql-transport-ws');
    } catch (e) {
      reconnectLater();
      return;
    }
    state.socket = socket;
    const token = state.token;
    const groupId = state.groupId;
    socket.onopen = () => {
      socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: 'Bearer ' + token } }));
    };
    socket.onmessage = (event) => {
      if (socket !== state.socket) {
        return;
      }
      state.lastHeard = Date.now();
      let message;
      try {
        message = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      switch (message.type) {
        case 'connection_ack':
          state.socketAttempts = 0;
          setConnection('live', '● 实时连接');
          SUBSCRIPTIONS.forEach((query, index) => {
            socket.send(
              JSON.stringify({ id: String(index + 1), type: 'subscribe', payload: { query, variables: { g: groupId } } }),
            );
          });
          // Whatever changed while the socket was down (or being set up) is read once now.
          scheduleRefresh();
          state.pingTimer = setInterval(() => keepAlive(socket), PING_INTERVAL_MS);
          break;
        case 'next':
          state.events += 1;
          byId('connection').dataset.events = String(state.events);
          scheduleRefresh();
          break;
        case 'ping':
          socket.send(JSON.stringify({ type: 'pong' }));
          break;
        case 'error':
          if (message.payload && message.payload.some && message.payload.some((e) => e.extensions && e.extensions.code === 'UNAUTHENTICATED')) {
            expired();
          }
          break;
        default:
          break;
      }
    };
    socket.onclose = (event) => {
      if (socket !== state.socket) {
        return;
      }
      state.socket = null;
      clearInterval(state.pingTimer);
      // 4401: the token is no longer valid; 4403: it was not valid to begin with.
      if (event.code === 4401 || event.code === 4403) {
        expired();
        return;
      }
      reconnectLater();
    };
  }

  function keepAlive(socket) {
    if (socket !== state.socket) {
      return;
    }
    if (Date.now() - state.lastHeard > SILENCE_LIMIT_MS) {
      // Nothing heard, not even a pong: the connection is gone without a close.
      socket.close(4000, 'silent');
      state.socket = null;
      clearInterval(state.pingTimer);
      reconnectLater();
      return;
    }
    socket.send(JSON.stringify({ type: 'ping' }));
  }

  function reconnectLater() {
    if (!state.token) {
      return;
    }
    const attempt = state.socketAttempts;
    state.socketAttempts += 1;
    const base = Math.min(MAX_BACKOFF_MS, 1000 * Math.pow(2, attempt));
    const delay = Math.round(base * (0.75 + Math.random() * 0.5));
    setConnection('offline', '● 连接中断，' + Math.ceil(delay / 1000) + ' 秒后重连');
    clearTimeout(state.reconnectTimer);
    state.reconnectTimer = setTimeout(connect, delay);
  }

  // ---------------------------------------------------------------- start

  function boot() {
    byId('login-form').addEventListener('submit', signIn);
    byId('sign-out').addEventListener('click', () => signOut());
    byId('group-picker').addEventListener('change', chooseGroup);
    window.addEventListener('hashchange', () => {
      if (takeTokenFromFragment()) {
        start();
      }
    });
    // The chart is drawn to its box's size: draw it again whenever the box changes (a window
    // resized, the layout switching between one and three columns).
    const redraw = () => {
      clearTimeout(state.resizeTimer);
      state.resizeTimer = setTimeout(() => {
        const panels = state.lastPanels;
        if (panels && state.token) {
          renderRounds(panels.board, panels.open, panels.current);
        }
      }, 100);
    };
    if (window.ResizeObserver) {
      new ResizeObserver(redraw).observe(byId('rounds-chart').parentElement);
    } else {
      window.addEventListener('resize', redraw);
    }
    window.addEventListener('online', () => {
      if (state.token && !state.socket) {
        state.socketAttempts = 0;
        connect();
      }
    });
    takeTokenFromFragment();
    if (sessionStorage.getItem(TOKEN_KEY)) {
      start();
    } else {
      signOut();
    }
  }

  boot();
})();
