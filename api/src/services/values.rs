//! Parsed input values: constructors refuse bad input with a BAD_USER_INPUT error naming the field,
//! so that a value of these types is valid wherever it travels.

use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

use crate::error::{AppError, AppResult};

/// Whether a character shows nothing by itself: whitespace, a format character (general category
/// Cf: zero-width spaces and joiners U+200B-U+200D, word joiner U+2060, byte-order mark U+FEFF,
/// bidirectional controls, soft hyphen, tags, ...), or another default-ignorable code point
/// (variation selectors, Hangul fillers, the combining grapheme joiner). A name made only of
/// these looks empty on every screen.
pub fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || c.general_category() == GeneralCategory::Format
        || matches!(
            c,
            '\u{034F}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FFA0}'
                | '\u{E0100}'..='\u{E01EF}'
        )
}

/// Whether text shows nothing: empty, or only invisible characters.
pub fn is_blank(text: &str) -> bool {
    text.chars().all(is_invisible)
}

/// A trimmed single-line name of bounded length, with at least one visible character. Invisible
/// characters inside or around a visible name are kept (they may belong to it: emoji sequences
/// end in variation selectors or tags); only whitespace is trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name(String);

impl Name {
    pub fn parse(field: &str, raw: &str, max_chars: usize) -> AppResult<Self> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(AppError::bad_input(
                field,
                format!("{field} must not be empty"),
            ));
        }
        if is_blank(trimmed) {
            return Err(AppError::bad_input(
                field,
                format!("{field} must contain a visible character, not only invisible ones"),
            ));
        }
        if trimmed.chars().count() > max_chars {
            return Err(AppError::bad_input(
                field,
                format!("{field} must be at most {max_chars} characters"),
            ));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(AppError::bad_input(
                field,
                format!("{field} must be a single line without control characters"),
            ));
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Optional free text of bounded length: trimmed, and empty or invisible text counts as none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionalText(Option<String>);

impl OptionalText {
    pub fn parse(field: &str, raw: Option<&str>, max_chars: usize) -> AppResult<Self> {
        let Some(trimmed) = raw.map(str::trim).filter(|s| !is_blank(s)) else {
            return Ok(Self(None));
        };
        if trimmed.chars().count() > max_chars {
            return Err(AppError::bad_input(
                field,
                format!("{field} must be at most {max_chars} characters"),
            ));
        }
        Ok(Self(Some(trimmed.to_owned())))
    }

    pub fn into_inner(self) -> Option<String> {
        self.0
    }
}

/// A mainland Chinese mobile number, normalized to its 11 digits so that the same phone written
/// as `+86 138-1234-5678` or `13812345678` is stored (and found) once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    pub fn parse(field: &str, raw: &str) -> AppResult<Self> {
        let compact: String = raw
            .trim()
            .chars()
            .filter(|c| *c != ' ' && *c != '-')
            .collect();
        // The country code is optional; "86" without "+" only counts when 11 digits follow, so
        // that it is never taken from the number itself.
        let national = match compact.strip_prefix("+86") {
            Some(rest) => rest,
            None if compact.len() == 13 => compact.strip_prefix("86").unwrap_or(&compact),
            None => &compact,
        };
        let bytes = national.as_bytes();
        let valid = bytes.len() == 11
            && bytes.iter().all(u8::is_ascii_digit)
            && bytes[0] == b'1'
            && (b'3'..=b'9').contains(&bytes[1]);
        if !valid {
            return Err(AppError::bad_input(
                field,
                format!("{field} must be a mainland mobile number such as 13812345678"),
            ));
        }
        Ok(Self(national.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// ISO 7064 MOD 11-2 weights of the first 17 digits of a resident ID number (GB 11643-1999).
const ID_NUMBER_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// The check character for each remainder 0..=10 of the weighted sum.
const ID_NUMBER_CHECK_CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// The check character (`0`-`9` or `X`) that completes the first 17 digits of a resident ID
/// number; `None` unless the input is exactly 17 ASCII digits. Shared by the parser and the demo
/// data so that both agree on what a valid number is.
pub fn id_number_check_digit(first17: &str) -> Option<char> {
    let bytes = first17.as_bytes();
    if bytes.len() != 17 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = bytes
        .iter()
        .zip(ID_NUMBER_WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    ID_NUMBER_CHECK_CHARS.get((sum % 11) as usize).copied()
}

/// An 18-character resident ID-card number (GB 11643-1999) whose address code, birth date and
/// check digit are plausible, with a lowercase `x` normalized to `X` so that lookups by number
/// match however it was typed. Validity does not prove that the number was ever issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdNumber(String);

impl IdNumber {
    pub fn parse(field: &str, raw: &str) -> AppResult<Self> {
        let value = raw.trim().to_ascii_uppercase();
        let bytes = value.as_bytes();
        let well_formed = bytes.len() == 18
            && bytes[..17].iter().all(u8::is_ascii_digit)
            && (bytes[17].is_ascii_digit() || bytes[17] == b'X');
        if !well_formed {
            return Err(AppError::bad_input(
                field,
                format!("{field} must be 18 characters: 17 digits followed by a digit or X"),
            ));
        }
        if bytes[0] == b'0' {
            return Err(AppError::bad_input(
                field,
                format!(
                    "{field} must start with a 6-digit address code that does not begin with 0"
                ),
            ));
        }
        let birth = chrono::NaiveDate::parse_from_str(&value[6..14], "%Y%m%d").ok();
        let earliest = chrono::NaiveDate::from_ymd_opt(1900, 1, 1);
        // A birth "today" in China is still in the future in UTC for a few hours; allowing the
        // Beijing date avoids refusing a newborn's number in the morning.
        let today = chrono::Utc::now()
            .with_timezone(&chrono_tz::Asia::Shanghai)
            .date_naive();
        if !birth.is_some_and(|b| Some(b) >= earliest && b <= today) {
            return Err(AppError::bad_input(
                field,
                format!(
                    "{field} must contain a real birth date (digits 7-14, YYYYMMDD) between 1900-01-01 and today"
                ),
            ));
        }
        if id_number_check_digit(&value[..17]) != Some(char::from(bytes[17])) {
            return Err(AppError::bad_input(
                field,
                format!("{field} has a wrong check digit; the number is probably mistyped"),
            ));
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A phone number for display to readers who may not see personal data: `138****5678`.
/// Too-short input is starred completely rather than shown nearly whole.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() < 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

/// An ID number for display to readers who may not see personal data: the first four and last
/// four characters stay (region and a check for typos), the birth date is hidden; same length.
pub fn mask_id_number(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() < 9 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 8))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(e: AppError) -> String {
        match e {
            AppError::BadUserInput { field, .. } => field,
            other => panic!("expected BAD_USER_INPUT, got {other:?}"),
        }
    }

    #[test]
    fn names_are_trimmed() {
        let name = Name::parse("name", "  温泉景区  ", 100).unwrap();
        assert_eq!(name.as_ref(), "温泉景区");
    }

    #[test]
    fn empty_and_blank_names_are_refused() {
        assert_eq!(field_of(Name::parse("name", "", 100).unwrap_err()), "name");
        assert_eq!(
            field_of(Name::parse("name", " \t ", 100).unwrap_err()),
            "name"
        );
    }

    #[test]
    fn invisible_names_are_refused() {
        for raw in [
            "\u{200B}\u{200B}",
            "\u{200C}",
            "\u{200D}",
            "\u{2060}",
            "\u{FEFF}",
            " \u{200B} \u{3000}",
            "\u{00AD}",
            "\u{202E}\u{2066}",
            "\u{E0020}",
            "\u{3164}",
            "\u{FE0F}",
        ] {
            let (field, message) = match Name::parse("name", raw, 100).unwrap_err() {
                AppError::BadUserInput { field, message } => (field, message),
                other => panic!("expected BAD_USER_INPUT, got {other:?}"),
            };
            assert_eq!(field, "name", "{raw:?}");
            assert!(message.contains("visible"), "{raw:?}: {message}");
        }
        // Invisible characters beside visible ones stay: they may belong to the name.
        assert_eq!(
            Name::parse("name", "\u{2764}\u{FE0F}", 100)
                .unwrap()
                .into_inner(),
            "\u{2764}\u{FE0F}"
        );
        assert!(Name::parse("name", "温泉\u{200B}镇", 100).is_ok());
        assert_eq!(
            OptionalText::parse("d", Some("\u{200B}\u{FEFF}"), 10)
                .unwrap()
                .into_inner(),
            None
        );
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        let hundred = "镇".repeat(100);
        assert!(Name::parse("name", &hundred, 100).is_ok());
        let more = "镇".repeat(101);
        assert_eq!(
            field_of(Name::parse("name", &more, 100).unwrap_err()),
            "name"
        );
    }

    #[test]
    fn control_characters_are_refused() {
        assert!(Name::parse("name", "a\nb", 100).is_err());
    }

    #[test]
    fn optional_text_treats_blank_as_none() {
        assert_eq!(
            OptionalText::parse("d", Some("  "), 10)
                .unwrap()
                .into_inner(),
            None
        );
        assert_eq!(
            OptionalText::parse("d", None, 10).unwrap().into_inner(),
            None
        );
        assert_eq!(
            OptionalText::parse("d", Some(" x "), 10)
                .unwrap()
                .into_inner(),
            Some("x".to_owned())
        );
        assert!(OptionalText::parse("d", Some("12345678901"), 10).is_err());
    }

    #[test]
    fn phones_are_normalized() {
        for raw in [
            "13812345678",
            "  13812345678 ",
            "138 1234 5678",
            "138-1234-5678",
            "+8613812345678",
            "+86 138-1234-5678",
            "8613812345678",
            "86 138 1234 5678",
        ] {
            let phone = Phone::parse("phone", raw).unwrap();
            assert_eq!(phone.as_str(), "13812345678", "{raw}");
        }
        assert_eq!(
            Phone::parse("phone", "19912345678").unwrap().into_inner(),
            "19912345678"
        );
    }

    #[test]
    fn bad_phones_are_refused() {
        for raw in [
            "",
            "1381234567",     // 10 digits
            "138123456789",   // 12 digits
            "12812345678",    // second digit 2
            "10812345678",    // second digit 0
            "23812345678",    // not starting with 1
            "1381234567a",    // letter
            "abcdefghijk",    // letters only
            "+8513812345678", // another country code
            "+86138123456",   // too short after the prefix
            "138.1234.5678",  // dots are not separators
        ] {
            let err = Phone::parse("contactPhone", raw).unwrap_err();
            match err {
                AppError::BadUserInput { field, message } => {
                    assert_eq!(field, "contactPhone", "{raw}");
                    assert!(message.starts_with("contactPhone "), "{message}");
                }
                other => panic!("expected BAD_USER_INPUT, got {other:?}"),
            }
        }
    }

    /// A valid ID number from its first 17 digits.
    fn complete(first17: &str) -> String {
        format!("{first17}{}", id_number_check_digit(first17).unwrap())
    }

    fn message_of(e: AppError) -> (String, String) {
        match e {
            AppError::BadUserInput { field, message } => (field, message),
            other => panic!("expected BAD_USER_INPUT, got {other:?}"),
        }
    }

    #[test]
    fn check_digit_follows_the_standard() {
        // The worked example of GB 11643-1999.
        assert_eq!(id_number_check_digit("11010519491231002"), Some('X'));
        assert_eq!(id_number_check_digit("44011719900101123"), Some('4'));
        assert_eq!(id_number_check_digit("4401171990010112"), None);
        assert_eq!(id_number_check_digit("440117199001011234"), None);
        assert_eq!(id_number_check_digit("4401171990010112a"), None);
    }

    #[test]
    fn valid_id_numbers_are_accepted() {
        for first17 in [
            "44011719900101123",
            "44018419651231004",
            "44018420000229005",
            "11010519491231002",
        ] {
            let id = complete(first17);
            let parsed = IdNumber::parse("idNumber", &format!(" {id} ")).unwrap();
            assert_eq!(parsed.as_str(), id);
        }
        let with_x = IdNumber::parse("idNumber", "11010519491231002X").unwrap();
        assert_eq!(with_x.into_inner(), "11010519491231002X");
    }

    #[test]
    fn lowercase_x_is_normalized() {
        let id = IdNumber::parse("idNumber", "11010519491231002x").unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
    }

    #[test]
    fn malformed_id_numbers_are_refused() {
        for raw in [
            "",
            "44011719900101123",   // 17 characters
            "4401171990010112388", // 19 characters
            "44011719900101123A",  // letter other than X
            "4401171990X101123X",  // X inside
            "44011719900101 238",  // inner space
        ] {
            let (field, message) = message_of(IdNumber::parse("idNumber", raw).unwrap_err());
            assert_eq!(field, "idNumber", "{raw}");
            assert!(message.contains("18 characters"), "{raw}: {message}");
        }
        let zero_region = complete("04011719900101123");
        let (field, message) = message_of(IdNumber::parse("idNumber", &zero_region).unwrap_err());
        assert_eq!(field, "idNumber");
        assert!(message.contains("address code"), "{message}");
    }

    #[test]
    fn wrong_check_digit_is_refused() {
        let id = complete("44011719900101123");
        let wrong = if id.ends_with('0') {
            format!("{}1", &id[..17])
        } else {
            format!("{}0", &id[..17])
        };
        let (field, message) = message_of(IdNumber::parse("idNumber", &wrong).unwrap_err());
        assert_eq!(field, "idNumber");
        assert!(message.contains("check digit"), "{message}");
        let (field, _) = message_of(IdNumber::parse("idNumber", "110105194912310021").unwrap_err());
        assert_eq!(field, "idNumber");
    }

    #[test]
    fn impossible_birth_dates_are_refused() {
        let tomorrow = chrono::Utc::now().date_naive() + chrono::Days::new(2);
        let future = format!("440117{}123", tomorrow.format("%Y%m%d"));
        for first17 in [
            "44011719900230123", // 30 February
            "44011719011301123", // month 13
            "44011718991231123", // before 1900
            "44011720990101123", // far future
            future.as_str(),
        ] {
            let id = complete(first17);
            let (field, message) = message_of(IdNumber::parse("holderId", &id).unwrap_err());
            assert_eq!(field, "holderId", "{id}");
            assert!(message.contains("birth date"), "{id}: {message}");
        }
        assert!(IdNumber::parse("holderId", &complete("44011719000101123")).is_ok());
    }

    #[test]
    fn phones_are_masked() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("12345678"), "123****5678");
        assert_eq!(mask_phone("1234567"), "*******");
        assert_eq!(mask_phone(""), "");
    }

    #[test]
    fn id_numbers_are_masked() {
        assert_eq!(mask_id_number("440184199001011234"), "4401**********1234");
        assert_eq!(mask_id_number("11010519491231002X"), "1101**********002X");
        assert_eq!(mask_id_number("123456789"), "1234*6789");
        assert_eq!(mask_id_number("12345678"), "********");
        assert_eq!(mask_id_number("一二三四五六七八九十"), "一二三四**七八九十");
    }
}
