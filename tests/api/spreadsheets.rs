//! Export, import, export again: the organizations and people files of the demo town, downloaded
//! by the administrator, imported into an empty database with `lianjian import`'s library
//! function, and downloaded again from there hold the same rows, in CSV and in XLSX. The oracle
//! is the first download itself; nothing of the second comes from the first except through the
//! files.

use lianjian_api::{
    generate::Quiet,
    import::{self, Kind, Options},
};

use crate::{
    appeal_statistics::instant,
    exports::{csv_rows, demo, fetch, sheet, sheets, texts, token_of},
    helpers::TestApp,
};

/// The rows of a download (header first), whatever its format.
fn rows_of(ext: &str, sheet_name: &str, bytes: &[u8]) -> Vec<Vec<String>> {
    if ext == "csv" {
        csv_rows(bytes)
    } else {
        texts(sheet(&sheets(bytes), sheet_name))
    }
}

/// Header first, then the other rows sorted: rows that tie on the export's order (two people of
/// one name in one organization) may come out in either order, as their ids differ.
fn canonical(mut rows: Vec<Vec<String>>) -> Vec<Vec<String>> {
    let body = rows.split_off(1);
    let mut body = body;
    body.sort();
    rows.extend(body);
    rows
}

#[tokio::test]
async fn export_import_export_gives_the_same_rows() {
    let source = demo().await;
    let admin = token_of(&source, "admin").await;
    for ext in ["csv", "xlsx"] {
        let organizations = fetch(&source, &admin, &format!("/exports/organizations.{ext}")).await;
        let people = fetch(&source, &admin, &format!("/exports/people.{ext}")).await;
        let first_organizations = rows_of(ext, "组织", &organizations);
        let first_people = rows_of(ext, "人员", &people);
        assert!(first_organizations.len() > 27, "{first_organizations:?}");
        assert!(first_people.len() > 50, "{}", first_people.len());
        // The administrator sees every number in full: the file carries something to lose.
        assert!(
            first_people
                .iter()
                .skip(1)
                .any(|row| row[2].len() == 11 && !row[2].contains('*')),
            "no full phone number in {first_people:?}"
        );

        let target = TestApp::spawn_at(instant("2026-06-15T10:00:00+08:00")).await;
        let dir = tempfile::tempdir().unwrap();
        for (kind, bytes, name, expected) in [
            (
                Kind::Organizations,
                &organizations,
                "组织",
                first_organizations.len() - 1,
            ),
            (Kind::People, &people, "人员", first_people.len() - 1),
        ] {
            let path = dir.path().join(format!("{name}.{ext}"));
            std::fs::write(&path, bytes).unwrap();
            let report = import::import_file(
                &target.state.db.write,
                &target.state.events,
                kind,
                &path,
                &Options {
                    dry_run: false,
                    today: chrono::NaiveDate::from_ymd_opt(2026, 6, 15).unwrap(),
                },
                &mut Quiet,
            )
            .await
            .unwrap_or_else(|e| panic!("{name}.{ext}: {e:?}"));
            assert!(
                report.committed(),
                "{name}.{ext}: {:?}",
                &report.errors[..report.errors.len().min(10)]
            );
            assert_eq!(report.imported, expected, "{name}.{ext}");
        }

        let again_organizations = fetch(
            &target,
            &target.admin_token,
            &format!("/exports/organizations.{ext}"),
        )
        .await;
        let again_people = fetch(
            &target,
            &target.admin_token,
            &format!("/exports/people.{ext}"),
        )
        .await;
        assert_eq!(
            canonical(rows_of(ext, "组织", &again_organizations)),
            canonical(first_organizations),
            "{ext}: organizations"
        );
        assert_eq!(
            canonical(rows_of(ext, "人员", &again_people)),
            canonical(first_people),
            "{ext}: people"
        );
    }
}
