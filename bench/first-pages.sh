# The first pages a front end opens, as bench/scale.sh and bench/explain.sh send them: sourced,
# `first_page_bodies DIR FROM COUNT [ORG GROUP]` writes one JSON request body per query into DIR.
#   FROM   the calendar's `from` (an RFC 3339 time)
#   COUNT  how each list is counted: exact (totalCount), upto (countUpTo, exact up to 1,000) or
#          none
#   ORG, GROUP  the global ids of an organization and a linkage group for the filtered pages
#          (FILTERED_PAGES); without them only FIRST_PAGES are written
# `filter_targets URL TOKEN` prints an ORG and a GROUP for them: the first grant's scope and the
# first linkage group of the account whose token is given.
#
#   orgs      organizations(first: 50): name, parent, children { totalCount }, people(first: 5)
#   ledger    supervisionItems(first: 20): code, status, due date, escalationLevel, leadOrganization,
#             coResponsible organizations and their progress
#   calendar  jointActivities(filter: { from: FROM }, first: 20): host and participants
#   people    people(first: 20): organization and positions
#   appeals   residentAppeals(first: 20): village
# and with a filter, each with the same selection as its unfiltered page:
#   calendar-group   activities from FROM of the linkage group GROUP
#   calendar-org     activities from FROM of ORG and its subtree
#   calendar-kind    planned volunteer services and patrols from FROM
#   ledger-overdue   overdue items, highest priority first
#   ledger-due       items due within 5 working days
#   ledger-org       items of ORG and its subtree
#   ledger-search    items whose title or code holds 防汛
#   people-org       people of ORG and its subtree
#   people-search    people whose name holds 陈伟
#   people-surname   people whose name holds 陈, a surname: one person in twenty at L
#   orgs-search      organizations whose name holds 龙
#   appeals-overdue  overdue appeals
#   appeals-village  appeals of the villages of ORG's subtree

FIRST_PAGES="orgs ledger calendar people appeals"
FILTERED_PAGES="calendar-group calendar-org calendar-kind ledger-overdue ledger-due ledger-org
  ledger-search people-org people-search people-surname orgs-search appeals-overdue appeals-village"

first_page_bodies() { # DIR FROM COUNT
  local dir=$1 from=$2 total
  case "$3" in
    exact) total=totalCount ;;
    upto) total='countUpTo { count exact }' ;;
    none) total= ;;
    *) echo "COUNT must be exact, upto or none, not $3" >&2; return 1 ;;
  esac
  _body() {
    python3 -c 'import json,sys; print(json.dumps({"query": sys.argv[1]}))' "$2" >"$dir/$1.json"
  }
  local orgs="$total edges { node { name parent { name }
  children { totalCount } people(first: 5) { edges { node { name } } } } }"
  local ledger="$total edges { node { code title status dueOn
  escalationLevel leadOrganization { name } coResponsible { organization { name } progressPercent } } }"
  local calendar="$total edges { node {
  title kind status startsAt endsAt venue host { name } participants { role organization { name } } } }"
  local people="$total edges { node { name phone organization { name }
  positions { position startedOn endedOn } } }"
  local appeals="$total edges { node { code status category
  receivedOn dueOn village { name } } }"
  _body orgs "{ organizations(first: 50) { $orgs } }"
  _body ledger "{ supervisionItems(first: 20) { $ledger } }"
  _body calendar "{ jointActivities(filter: { from: \"$from\" }, first: 20) { $calendar } }"
  _body people "{ people(first: 20) { $people } }"
  _body appeals "{ residentAppeals(first: 20) { $appeals } }"
  [ -n "${4:-}" ] && [ -n "${5:-}" ] || return 0
  local org=\"$4\" group=\"$5\" sub="includeSubOrganizations: true"
  _body calendar-group "{ jointActivities(filter: { from: \"$from\", linkageGroupId: $group }, first: 20) { $calendar } }"
  _body calendar-org "{ jointActivities(filter: { from: \"$from\", organizationId: $org, $sub }, first: 20) { $calendar } }"
  _body calendar-kind "{ jointActivities(filter: { from: \"$from\", kinds: [VOLUNTEER_SERVICE, PATROL], statuses: [PLANNED] }, first: 20) { $calendar } }"
  _body ledger-overdue "{ supervisionItems(filter: { overdue: true }, orderBy: PRIORITY_DESC, first: 20) { $ledger } }"
  _body ledger-due "{ supervisionItems(filter: { dueWithinWorkingDays: 5 }, first: 20) { $ledger } }"
  _body ledger-org "{ supervisionItems(filter: { organizationId: $org, $sub }, first: 20) { $ledger } }"
  _body ledger-search "{ supervisionItems(filter: { search: \"防汛\" }, first: 20) { $ledger } }"
  _body people-org "{ people(filter: { organizationId: $org, $sub }, first: 20) { $people } }"
  _body people-search "{ people(filter: { search: \"陈伟\" }, first: 20) { $people } }"
  _body people-surname "{ people(filter: { search: \"陈\" }, first: 20) { $people } }"
  _body orgs-search "{ organizations(filter: { search: \"龙\" }, first: 50) { $orgs } }"
  _body appeals-overdue "{ residentAppeals(filter: { overdue: true }, first: 20) { $appeals } }"
  _body appeals-village "{ residentAppeals(filter: { villageId: $org, $sub }, first: 20) { $appeals } }"
}

# The organization and linkage group the filtered pages look at: the first grant's scope and the
# first linkage group of the account whose token is given. Prints "ORG GROUP" (global ids).
filter_targets() { # GRAPHQL_URL TOKEN
  curl -sf "$1" -H 'content-type: application/json' -H "authorization: Bearer $2" \
    -d '{"query":"{ viewer { grants { scope { id } } } linkageGroups(first: 1) { nodes { id } } }"}' |
    python3 -c 'import json,sys; d=json.load(sys.stdin)["data"]
print(d["viewer"]["grants"][0]["scope"]["id"], d["linkageGroups"]["nodes"][0]["id"])'
}
