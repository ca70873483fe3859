//! Parsed input values: constructors refuse bad input with a BAD_USER_INPUT error naming the field,
//! so that a value of these types is valid wherever it travels.

use crate::error::{AppError, AppResult};

/// A trimmed, non-empty single-line name of bounded length.
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

/// Optional free text of bounded length: trimmed, and empty text counts as none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionalText(Option<String>);

impl OptionalText {
    pub fn parse(field: &str, raw: Option<&str>, max_chars: usize) -> AppResult<Self> {
        let Some(trimmed) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
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
}
