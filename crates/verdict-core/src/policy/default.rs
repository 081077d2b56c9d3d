//! The embedded default policy: Jumio's "How to Handle Workflow Results" table
//! (`shared/seeds/000_*`) row by row, refined per label with the catalogue and
//! the domain reference's suggested policy (§7).
//!
//! Every row is listed in the README's default policy table; change both together.

use crate::decision::Outcome::{self, Decline, Retry, Review};
use crate::model::DecisionType;
use crate::policy::{Action, PolicySpec, RuleSpec, TransactionRules};

/// The id requests use to name this policy explicitly.
pub const DEFAULT_POLICY_ID: &str = "jumio-default";

const W: DecisionType = DecisionType::Warning;
const R: DecisionType = DecisionType::Rejected;
const NE: DecisionType = DecisionType::NotExecuted;
const UNRECOGNISED: DecisionType = DecisionType::Other;

/// Any capability / any label.
const ANY: &str = "*";

struct Row {
    capability: &'static str,
    decision_type: DecisionType,
    label: &'static str,
    outcome: Outcome,
    code: &'static str,
    message: &'static str,
    user_message: Option<&'static str>,
}

const fn row(
    capability: &'static str,
    decision_type: DecisionType,
    label: &'static str,
    outcome: Outcome,
    code: &'static str,
    message: &'static str,
) -> Row {
    Row {
        capability,
        decision_type,
        label,
        outcome,
        code,
        message,
        user_message: None,
    }
}

/// A row whose outcome the end user can act on: they get `user_message`.
const fn retry(
    capability: &'static str,
    decision_type: DecisionType,
    label: &'static str,
    code: &'static str,
    message: &'static str,
    user_message: &'static str,
) -> Row {
    Row {
        user_message: Some(user_message),
        ..row(capability, decision_type, label, Retry, code, message)
    }
}

const TRY_MOBILE: &str =
    "Please try again, ideally on a mobile device, with the original document in good light.";
const ORIGINAL_DOCUMENT: &str =
    "Please try again with the original document, not a copy or a picture of a screen.";
const ANOTHER_DOCUMENT: &str = "This document cannot be used. Please try again with another identity document, such as a passport.";
const RETAKE_SELFIE: &str =
    "Please take the selfie again: alone, face fully visible, in colour and in good light.";
const TRY_AGAIN_LATER: &str =
    "Something went wrong while checking your documents. Please try again.";
const USABILITY_NOT_FRAUD: &str =
    "the images could not be used; usability rejections are not evidence of fraud";

#[rustfmt::skip]
const ROWS: &[Row] = &[
    // Any capability: cascades, technical errors, and the fallback per decision
    // type for capabilities and labels the policy does not name. Fallbacks never
    // approve what Jumio did not pass.
    row(ANY, NE, "PRECONDITION_NOT_FULFILLED", Review, "CHECK_NOT_EXECUTED", "the check did not run because an upstream check failed or its input was missing"),
    retry(ANY, NE, "TECHNICAL_ERROR", "TECHNICAL_ERROR", "Jumio could not run the check because of a technical error", TRY_AGAIN_LATER),
    row(ANY, W, ANY, Review, "UNRECOGNISED_WARNING", "a warning this policy does not name; an analyst should look"),
    row(ANY, R, ANY, Review, "UNRECOGNISED_REJECTION", "a rejection this policy does not name; an analyst should look"),
    row(ANY, NE, ANY, Review, "UNRECOGNISED_NOT_EXECUTED", "a check did not run for a reason this policy does not name"),
    row(ANY, UNRECOGNISED, ANY, Review, "UNRECOGNISED_DECISION_TYPE", "a decision type verdict does not know; an analyst should look"),

    // Usability REJECTED: the user could not supply usable images. Retry, on
    // another channel (desktop -> mobile) or with the original document.
    retry("usability", R, ANY, "IMAGE_UNUSABLE", USABILITY_NOT_FRAUD, TRY_MOBILE),
    retry("usability", R, "BLURRED", "IMAGE_QUALITY_BLURRED", "the ID image is blurred", "The photo of your document was blurry. Please try again, ideally on a mobile device held steady."),
    retry("usability", R, "GLARE", "IMAGE_QUALITY_GLARE", "glare covers the ID", "Light reflected on your document. Please try again away from direct light, ideally on a mobile device."),
    retry("usability", R, "BAD_QUALITY_IMAGE", "IMAGE_QUALITY_LOW", "the ID image quality is too low", TRY_MOBILE),
    retry("usability", R, "BAD_QUALITY", "IMAGE_QUALITY_LOW", "the ID image quality is too low (legacy label)", TRY_MOBILE),
    retry("usability", R, "BLACK_WHITE", "IMAGE_QUALITY_BLACK_WHITE", "black-and-white image of the ID", "Please try again with a colour photo of your document."),
    retry("usability", R, "MISSING_SIGNATURE", "IMAGE_QUALITY_MISSING_SIGNATURE", "no signature found on the ID", "Please try again with a signed document, showing the signature clearly."),
    retry("usability", R, "MISSING_PAGE", "IMAGE_QUALITY_MISSING_PAGE", "the front or back page is missing", "Please try again and capture both sides of your document."),
    retry("usability", R, "NOT_A_DOCUMENT", "IMAGE_QUALITY_NOT_A_DOCUMENT", "the image is not a recognised document", "Please try again with a government-issued identity document."),
    retry("usability", R, "PART_OF_DOCUMENT_MISSING", "IMAGE_QUALITY_PART_MISSING", "part of the document is outside the frame", "Please try again with the whole document inside the frame."),
    retry("usability", R, "PART_OF_DOCUMENT_HIDDEN", "IMAGE_QUALITY_PART_HIDDEN", "part of the ID is covered", "Please try again without covering any part of the document."),
    retry("usability", R, "DAMAGED_DOCUMENT", "IMAGE_QUALITY_DAMAGED_DOCUMENT", "the document is damaged", ANOTHER_DOCUMENT),
    retry("usability", R, "MISSING_MANDATORY_DATAPOINTS", "IMAGE_QUALITY_UNREADABLE_DATA", "key fields (name, date of birth...) cannot be read", "Some details on your document could not be read. Please try again in good light, without glare."),
    retry("usability", R, "DOCUMENT_CONTENT_NOT_SUPPORTED", "IMAGE_QUALITY_CONTENT_NOT_SUPPORTED", "the document's content does not match its declared type", "Please try again with the type of document you selected."),
    retry("usability", R, "DIGITAL_COPY", "IMAGE_QUALITY_DIGITAL_COPY", "the ID was photographed from a screen", ORIGINAL_DOCUMENT),
    retry("usability", R, "PHOTOCOPY", "IMAGE_QUALITY_PHOTOCOPY", "the ID is a paper photocopy", ORIGINAL_DOCUMENT),
    // Usability WARNING: route by country and document; unsupported ones retry
    // with another document, anything else goes to an analyst.
    row("usability", W, ANY, Review, "USABILITY_WARNING", "usability warning: route according to the country and document policy"),
    retry("usability", W, "UNSUPPORTED_COUNTRY", "UNSUPPORTED_COUNTRY", "the issuing country is not enabled", ANOTHER_DOCUMENT),
    retry("usability", W, "UNSUPPORTED_DOCUMENT_TYPE", "UNSUPPORTED_DOCUMENT_TYPE", "the document type is not supported", ANOTHER_DOCUMENT),
    retry("usability", NE, "NOT_UPLOADED", "MISSING_IMAGE", "an image was never uploaded", "Please try again and complete every capture step."),

    // Image checks REJECTED: fraud, decided per label, except PUNCHED and
    // OTHER_REJECTION, which are not treated as fraud.
    row("imageChecks", R, "FAILED", Decline, "DOCUMENT_FRAUD_FAILED", "the ID images failed the image checks"),
    row("imageChecks", R, "WATERMARK", Decline, "DOCUMENT_FRAUD_WATERMARK", "the ID image carries a watermark such as \"Sample\""),
    row("imageChecks", R, "GHOST_IMAGE_DIFFERENT", Decline, "DOCUMENT_FRAUD_GHOST_IMAGE_DIFFERENT", "the main and ghost images differ"),
    row("imageChecks", R, "SAMPLE", Decline, "DOCUMENT_FRAUD_SAMPLE", "the ID is a known sample document"),
    row("imageChecks", R, "FAKE", Decline, "DOCUMENT_FRAUD_FAKE", "the ID is a known fake or its image is public"),
    row("imageChecks", R, "CHIP_MISSING", Decline, "DOCUMENT_FRAUD_CHIP_MISSING", "the ID's chip is missing"),
    row("imageChecks", R, "DIGITAL_MANIPULATION", Decline, "DOCUMENT_FRAUD_DIGITAL_MANIPULATION", "the ID image was manipulated before upload"),
    row("imageChecks", R, "MISMATCH_FRONT_BACK", Decline, "DOCUMENT_FRAUD_MISMATCH_FRONT_BACK", "the front and back of the ID disagree"),
    row("imageChecks", R, "MANIPULATED_DOCUMENT", Decline, "DOCUMENT_FRAUD_MANIPULATED", "physically superimposed photo or text"),
    row("imageChecks", R, "MANIPULATED_DOCUMENT_PHOTO", Decline, "DOCUMENT_FRAUD_MANIPULATED_PHOTO", "the portrait photo is superimposed"),
    row("imageChecks", R, "MANIPULATED_DOCUMENT_DOCUMENT_NUMBER", Decline, "DOCUMENT_FRAUD_MANIPULATED_DOCUMENT_NUMBER", "the document number was manipulated"),
    row("imageChecks", R, "MANIPULATED_DOCUMENT_EXPIRY", Decline, "DOCUMENT_FRAUD_MANIPULATED_EXPIRY", "the expiry date was manipulated"),
    row("imageChecks", R, "MANIPULATED_DOCUMENT_DOB", Decline, "DOCUMENT_FRAUD_MANIPULATED_DOB", "the date of birth was manipulated"),
    row("imageChecks", R, "MANIPULATED_DOCUMENT_NAME", Decline, "DOCUMENT_FRAUD_MANIPULATED_NAME", "the name was manipulated"),
    row("imageChecks", R, "MANIPULATED_DOCUMENT_ADDRESS", Decline, "DOCUMENT_FRAUD_MANIPULATED_ADDRESS", "the address was manipulated"),
    row("imageChecks", R, "MANIPULATED_DOCUMENT_SECURITY_CHECKS", Decline, "DOCUMENT_FRAUD_SECURITY_FEATURES", "a back-office agent found a security-feature issue"),
    row("imageChecks", R, "MANIPULATED_DOCUMENT_SIGNATURE", Decline, "DOCUMENT_FRAUD_MANIPULATED_SIGNATURE", "the signature was manipulated"),
    row("imageChecks", R, "MANIPULATED_DOCUMENT_PERSONAL_NUMBER", Decline, "DOCUMENT_FRAUD_MANIPULATED_PERSONAL_NUMBER", "the personal number was manipulated"),
    row("imageChecks", R, "MANIPULATED_DOCUMENT_PLACE_OF_BIRTH", Decline, "DOCUMENT_FRAUD_MANIPULATED_PLACE_OF_BIRTH", "the place of birth was manipulated"),
    row("imageChecks", R, "MANIPULATED_DOCUMENT_GENDER", Decline, "DOCUMENT_FRAUD_MANIPULATED_GENDER", "the gender was manipulated"),
    row("imageChecks", R, "MANIPULATED_DOCUMENT_ISSUING_DATE", Decline, "DOCUMENT_FRAUD_MANIPULATED_ISSUING_DATE", "the issue date was manipulated"),
    row("imageChecks", R, "LOOKUPS_HIGH_RISK_FACE", Decline, "DOCUMENT_FRAUD_KNOWN_FRAUD_FACE", "the face matches one confirmed as fraud"),
    row("imageChecks", R, "DIGITAL_COPY", Decline, "DOCUMENT_FRAUD_DIGITAL_COPY", "the ID was photographed from a screen (legacy label)"),
    row("imageChecks", R, "PUNCHED", Review, "DOCUMENT_PUNCHED", "the ID is hole-punched: often a cancelled but genuine document, not necessarily fraud"),
    row("imageChecks", R, "OTHER_REJECTION", Review, "DOCUMENT_OTHER_REJECTION", "rejected for a reason outside Jumio's other labels; an analyst should look"),
    // Image checks WARNING: only three labels, each handled on its own.
    row("imageChecks", W, "DIFFERENT_PERSON", Review, "DIFFERENT_PERSON", "the face in the image does not match the person on the ID"),
    row("imageChecks", W, "REPEATED_FACE", Review, "REPEATED_FACE", "the face was seen in earlier transactions; check whether they belong to this customer"),
    row("imageChecks", W, "GHOST_IMAGE_QUALITY_INSUFFICIENT", Review, "GHOST_IMAGE_UNVERIFIABLE", "the ghost image is too faded to check"),

    // Data checks REJECTED: fraud, decided per label.
    row("dataChecks", R, "HIGH_FRAUD_RISK", Decline, "DATA_FRAUD_HIGH_RISK", "a high probability of fraud"),
    row("dataChecks", R, "NFC_CERTIFICATE", Decline, "DATA_FRAUD_NFC_CERTIFICATE", "the chip data does not match the printed data"),
    row("dataChecks", R, "MISMATCHING_DATAPOINTS", Decline, "DATA_FRAUD_MISMATCHING_DATAPOINTS", "repeated data points on the document disagree"),
    row("dataChecks", R, "MRZ_CHECKSUM", Decline, "DATA_FRAUD_MRZ_CHECKSUM", "the MRZ checksum is wrong"),
    row("dataChecks", R, "MISMATCHING_DATA_REPEATED_FACE", Decline, "DATA_FRAUD_REPEATED_FACE_MISMATCH", "a face seen before comes with different personal data"),
    row("dataChecks", R, "CUSTOMER_FEEDBACK", Decline, "DATA_FRAUD_REPORTED", "the data matches a transaction reported as fraud"),
    row("dataChecks", R, "ID_DATA_MISMATCH", Decline, "DATA_FRAUD_ID_DATA_MISMATCH", "a significant mismatch between occurrences of a field"),
    row("dataChecks", R, "LOOKUPS_HIGH_RISK_SAME_DATA", Decline, "DATA_FRAUD_KNOWN_REJECTED_DATA", "the document matches an earlier rejected transaction"),
    row("dataChecks", R, "LOOKUPS_HIGH_RISK_SAME_FACE_MISMATCHING_DATA", Decline, "DATA_FRAUD_SAME_FACE_OTHER_DATA", "the face matches an earlier one with different data"),
    row("dataChecks", R, "LOOKUPS_HIGH_RISK_DEVICE", Decline, "DATA_FRAUD_KNOWN_REJECTED_DEVICE", "the device matches earlier rejected transactions"),
    row("dataChecks", R, "LOOKUPS_HIGH_RISK_IP_ADDRESS", Decline, "DATA_FRAUD_KNOWN_REJECTED_IP", "the IP address matches earlier rejected transactions"),
    row("dataChecks", R, "MISMATCH_HRZ_MRZ_DATA", Decline, "DATA_FRAUD_MRZ_MISMATCH", "the printed data and the MRZ disagree (legacy label)"),
    row("dataChecks", R, "MISMATCH_FRONT_BACK", Decline, "DATA_FRAUD_MISMATCH_FRONT_BACK", "front and back disagree (legacy label)"),
    row("dataChecks", R, "SUPERIMPOSED_TEXT", Decline, "DATA_FRAUD_SUPERIMPOSED_TEXT", "superimposed text on the document (legacy label)"),
    // Data checks WARNING: each to an analyst, with its own code.
    row("dataChecks", W, "DOCUMENT_EXPIRY_WITHIN_CONFIGURED_LIMIT", Review, "DOCUMENT_EXPIRING_SOON", "the document is close to its expiry date"),
    row("dataChecks", W, "ID_DATA_MISMATCH_LOW_CONFIDENCE", Review, "DATA_MISMATCH_LOW_CONFIDENCE", "a probable mismatch between occurrences of a field"),
    row("dataChecks", W, "ID_DATA_INVALID", Review, "DATA_INVALID", "the ID data failed format validation"),
    row("dataChecks", W, "UNREADABLE_DATASOURCE", Review, "DATA_SOURCE_UNREADABLE", "the MRZ or barcode could not be read"),
    row("dataChecks", W, "LOOKUPS_MEDIUM_RISK_SAME_DOCUMENT_NUMBER", Review, "DOCUMENT_NUMBER_SEEN_WITH_OTHER_DATA", "the document number was seen with another name and date of birth"),

    // Liveness REJECTED: spoofs decline; capture problems retry.
    row("liveness", R, "ID_USED_AS_SELFIE", Decline, "SPOOF_ID_USED_AS_SELFIE", "an ID photo was used as the selfie"),
    row("liveness", R, "DIGITAL_COPY", Decline, "SPOOF_DIGITAL_COPY", "the selfie was taken from a screen"),
    row("liveness", R, "PHOTOCOPY", Decline, "SPOOF_PHOTOCOPY", "the selfie was taken from a printout"),
    row("liveness", R, "MANIPULATED", Decline, "SPOOF_MANIPULATED", "the selfie was edited before upload"),
    retry("liveness", R, "MULTIPLE_PEOPLE", "SELFIE_CAPTURE_MULTIPLE_PEOPLE", "more than one person in the selfie", "Please take the selfie again with nobody else in the picture."),
    retry("liveness", R, "NO_FACE_PRESENT", "SELFIE_CAPTURE_NO_FACE", "no face in the selfie", RETAKE_SELFIE),
    retry("liveness", R, "FACE_NOT_FULLY_VISIBLE", "SELFIE_CAPTURE_FACE_HIDDEN", "the face is only partly visible", "Please take the selfie again with your whole face visible, without a mask, hat or sunglasses."),
    retry("liveness", R, "BLACK_WHITE", "SELFIE_CAPTURE_BLACK_WHITE", "black-and-white selfie", RETAKE_SELFIE),
    retry("liveness", R, "LIVENESS_UNDETERMINED", "SELFIE_CAPTURE_UNDETERMINED", "liveness could not be determined", RETAKE_SELFIE),
    // Liveness WARNING: to an analyst.
    row("liveness", W, "AGE_DIFFERENCE", Review, "SELFIE_AGE_DIFFERENCE", "the predicted age is far from the date of birth on the ID"),
    row("liveness", W, "BAD_QUALITY", Review, "SELFIE_BAD_QUALITY", "poor-quality selfie"),

    // Similarity.
    row("similarity", R, "NO_MATCH", Decline, "FACE_MISMATCH", "the selfie does not match the ID photo"),
    row("similarity", R, "NOT_MATCH", Decline, "FACE_MISMATCH", "the selfie does not match the ID photo (legacy spelling)"),
    row("similarity", W, "NOT_POSSIBLE", Review, "FACE_COMPARISON_NOT_POSSIBLE", "the faces could not be compared"),

    // Watchlist screening never rejects: an ALERT is a compliance review
    // whatever the top level says, and screening that did not run is reviewed.
    row("watchlistScreening", W, "ALERT", Review, "WATCHLIST_HIT", "found on a sanctions, PEP or adverse-media list"),
    row("watchlistScreening", NE, "NOT_ENOUGH_DATA", Review, "SCREENING_NOT_RUN", "watchlist screening did not run: not enough data"),
    row("watchlistScreening", NE, "VALIDATION_FAILED", Review, "SCREENING_NOT_RUN", "watchlist screening did not run: its input failed validation"),
    row("watchlistScreening", NE, "INVALID_MERCHANT_SETTINGS", Review, "SCREENING_NOT_RUN", "watchlist screening did not run: tenant settings are invalid"),
    row("watchlistScreening", NE, "NO_VALID_ID_CREDENTIAL", Review, "SCREENING_NOT_RUN", "watchlist screening did not run: no valid ID credential"),
    row("watchlistScreening", NE, "EXTRACTION_NOT_DONE", Review, "SCREENING_NOT_RUN", "watchlist screening did not run: extraction did not run"),

    // Other verification services.
    row("authentication", R, "FAILED", Decline, "AUTHENTICATION_FAILED", "the returning user could not be authenticated"),
    row("addressValidation", R, "DENY", Decline, "ADDRESS_DENIED", "the address could not be validated"),
    row("addressValidation", W, "ALERT", Review, "ADDRESS_ALERT", "the address could only partly be validated"),
    row("proofOfResidency", R, "DENY", Decline, "RESIDENCY_DENIED", "residency could not be proven"),
    row("proofOfResidency", W, "ALERT", Review, "RESIDENCY_ALERT", "residency could only partly be proven"),
    row("drivingLicenseVerification", R, "DENY", Decline, "DRIVING_LICENSE_DENIED", "the issuer did not confirm the licence"),
    row("drivingLicenseVerification", W, "ALERT", Review, "DRIVING_LICENSE_ALERT", "the issuer confirmed the licence only in part"),
    row("braCpfValidation", R, "DENY", Decline, "CPF_DENIED", "the CPF number could not be validated"),

    // Risk signals: high risk declines, medium risk is reviewed.
    row("phoneVerification", R, "HIGH_RISK", Decline, "PHONE_HIGH_RISK", "high phone risk"),
    row("phoneVerification", W, "MEDIUM_RISK", Review, "PHONE_MEDIUM_RISK", "medium phone risk"),
    row("geoIpVerification", R, "HIGH_RISK", Decline, "IP_HIGH_RISK", "high IP-location risk"),
    row("geoIpVerification", W, "MEDIUM_RISK", Review, "IP_MEDIUM_RISK", "medium IP-location risk"),
    row("deviceRiskVerification", R, "HIGH_RISK", Decline, "DEVICE_HIGH_RISK", "high device risk"),
    row("deviceRiskVerification", W, "MEDIUM_RISK", Review, "DEVICE_MEDIUM_RISK", "medium device risk"),
    row("biometricVerification", R, "HIGH_RISK", Decline, "BIOMETRIC_HIGH_RISK", "high biometric risk"),
    row("biometricVerification", W, "MEDIUM_RISK", Review, "BIOMETRIC_MEDIUM_RISK", "medium biometric risk"),
];

fn action(outcome: Outcome, code: &str, message: &str, user_message: Option<&str>) -> Action {
    Action {
        outcome,
        code: code.to_owned(),
        message: message.to_owned(),
        user_message: user_message.map(str::to_owned),
    }
}

fn wildcard(value: &str) -> Option<String> {
    (value != ANY).then(|| value.to_owned())
}

/// The embedded default policy's content.
pub fn default_policy_spec() -> PolicySpec {
    let rules = ROWS
        .iter()
        .map(|row| RuleSpec {
            capability: wildcard(row.capability),
            decision_type: row.decision_type,
            label: wildcard(row.label),
            action: action(row.outcome, row.code, row.message, row.user_message),
        })
        .collect();
    let abandoned = "Your verification session expired before it was finished. Please start a new verification.";
    PolicySpec {
        id: DEFAULT_POLICY_ID.to_owned(),
        version: "1.0.0".to_owned(),
        description:
            "Jumio's guidance for handling workflow results, row by row, refined per label"
                .to_owned(),
        rules,
        transaction: TransactionRules {
            session_expired: action(
                Retry,
                "SESSION_EXPIRED",
                "the user's session expired before the workflow finished",
                Some(abandoned),
            ),
            token_expired: action(
                Retry,
                "TOKEN_EXPIRED",
                "the workflow's token expired before the user finished",
                Some(abandoned),
            ),
            top_level_warning: action(
                Review,
                "TOP_LEVEL_WARNING",
                "Jumio's overall decision is WARNING though no capability result explains it (a risk rule verdict does not see)",
                None,
            ),
            top_level_rejected: action(
                Review,
                "TOP_LEVEL_REJECTED",
                "Jumio's overall decision is REJECTED though no capability result explains it (a risk rule verdict does not see)",
                None,
            ),
            top_level_not_executed: action(
                Retry,
                "TOP_LEVEL_NOT_EXECUTED",
                "Jumio did not execute the workflow",
                Some(TRY_AGAIN_LATER),
            ),
            top_level_unrecognised: action(
                Review,
                "TOP_LEVEL_UNRECOGNISED",
                "Jumio's overall decision type is one verdict does not know",
                None,
            ),
            document_expired: action(
                Retry,
                "DOCUMENT_EXPIRED",
                "the document expired before the workflow completed; Jumio does not flag this by default",
                Some("Your document has expired. Please try again with a valid document."),
            ),
            watchlist_hits: action(
                Review,
                "WATCHLIST_HIT",
                "watchlist screening passed but reports list hits",
                None,
            ),
            nothing_verified: action(
                Review,
                "NOTHING_VERIFIED",
                "the workflow returned no capability results, so nothing about the person was verified",
                None,
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue;
    use crate::decision::Outcome::Approve;
    use crate::policy::Policy;

    #[test]
    fn the_default_policy_compiles() {
        let policy = Policy::compile(default_policy_spec()).expect("default policy compiles");
        assert_eq!(policy.reference().id, DEFAULT_POLICY_ID);
    }

    #[test]
    fn every_named_capability_and_label_is_catalogued() {
        // A typo in a rule would silently never match; the catalogue catches it.
        for row in ROWS
            .iter()
            .filter(|row| row.capability != ANY && row.label != ANY)
        {
            assert!(
                catalogue::lookup(row.capability, row.decision_type, row.label).is_some(),
                "{}.{}.{} is not in the catalogue",
                row.capability,
                row.decision_type.name(),
                row.label
            );
        }
    }

    #[test]
    fn no_catalogued_rejection_or_warning_is_approved() {
        let policy = Policy::embedded_default();
        for entry in catalogue::CATALOGUE
            .iter()
            .filter(|entry| entry.decision_type != DecisionType::Passed)
        {
            let rule = policy.rule_for(entry.capability, entry.decision_type, entry.label);
            assert_ne!(rule.action.outcome, Approve, "{} approves", rule.id);
        }
    }

    #[test]
    fn the_readme_lists_every_rule_with_its_outcome_and_code() {
        let readme = include_str!("../../../../README.md");
        let policy = Policy::embedded_default();
        let spec = policy.spec();
        let transaction = policy.transaction_rules();
        let transaction_rules = [
            &transaction.session_expired,
            &transaction.token_expired,
            &transaction.top_level_warning,
            &transaction.top_level_rejected,
            &transaction.top_level_not_executed,
            &transaction.top_level_unrecognised,
            &transaction.document_expired,
            &transaction.watchlist_hits,
            &transaction.nothing_verified,
        ];
        let rows = spec
            .rules
            .iter()
            .map(|rule| (rule.id(), &rule.action))
            .chain(
                transaction_rules
                    .iter()
                    .map(|rule| (rule.id.to_string(), &rule.action)),
            );
        for (id, action) in rows {
            let row = format!("| `{id}` | {}", action.outcome.name());
            let line = readme
                .lines()
                .find(|line| line.starts_with(&row))
                .unwrap_or_else(|| panic!("README has no row starting {row}"));
            assert!(
                line.contains(&format!("`{}`", action.code)),
                "README row for {id} lacks {}",
                action.code
            );
        }
    }

    #[test]
    fn only_outcomes_the_user_can_act_on_carry_a_user_message() {
        for row in ROWS {
            assert_eq!(
                row.user_message.is_some(),
                row.outcome == Retry,
                "{} {}",
                row.capability,
                row.label
            );
        }
    }
}
