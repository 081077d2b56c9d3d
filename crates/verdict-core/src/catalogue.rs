//! The label catalogue: every (capability, decision type, label) Jumio is known
//! to return, current and legacy, with a one-line meaning.
//!
//! Keyed on all three because the same label means different things in
//! different capabilities (`DIGITAL_COPY` is an ID shot from a screen under
//! usability and a selfie shot from a screen under liveness). Sources: Jumio's
//! published label tables per capability (the catalogue section of
//! `crates/verdict-core/README.md` describes them).

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::model::DecisionType;

/// Where an entry comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provenance {
    /// In Jumio's current documentation.
    Current,
    /// In older official material or observed payloads; still accepted.
    Legacy,
    /// The label is documented but its decision type is inferred from its
    /// siblings (the source table was truncated or untyped).
    Inferred,
}

/// One known (capability, decision type, label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogueEntry {
    pub capability: &'static str,
    pub decision_type: DecisionType,
    pub label: &'static str,
    pub meaning: &'static str,
    pub provenance: Provenance,
}

const P: DecisionType = DecisionType::Passed;
const W: DecisionType = DecisionType::Warning;
const R: DecisionType = DecisionType::Rejected;
const NE: DecisionType = DecisionType::NotExecuted;

const fn current(
    capability: &'static str,
    decision_type: DecisionType,
    label: &'static str,
    meaning: &'static str,
) -> CatalogueEntry {
    CatalogueEntry {
        capability,
        decision_type,
        label,
        meaning,
        provenance: Provenance::Current,
    }
}

const fn legacy(
    capability: &'static str,
    decision_type: DecisionType,
    label: &'static str,
    meaning: &'static str,
) -> CatalogueEntry {
    CatalogueEntry {
        provenance: Provenance::Legacy,
        ..current(capability, decision_type, label, meaning)
    }
}

const fn inferred(
    capability: &'static str,
    decision_type: DecisionType,
    label: &'static str,
    meaning: &'static str,
) -> CatalogueEntry {
    CatalogueEntry {
        provenance: Provenance::Inferred,
        ..current(capability, decision_type, label, meaning)
    }
}

const PRECONDITION: &str = "required data from an upstream capability is not available";
const TECHNICAL: &str = "an error prevented execution";

/// Every catalogued entry.
pub static CATALOGUE: &[CatalogueEntry] = &[
    // usability: 19 current, 2 legacy.
    current("usability", NE, "TECHNICAL_ERROR", TECHNICAL),
    current(
        "usability",
        NE,
        "NOT_UPLOADED",
        "the image was never uploaded",
    ),
    current("usability", P, "OK", "image quality is good enough"),
    current(
        "usability",
        R,
        "BLACK_WHITE",
        "black-and-white image of the ID",
    ),
    current(
        "usability",
        R,
        "MISSING_SIGNATURE",
        "no signature found on the ID",
    ),
    current(
        "usability",
        R,
        "MISSING_PAGE",
        "the front or back page is missing",
    ),
    current(
        "usability",
        R,
        "NOT_A_DOCUMENT",
        "not a recognised document",
    ),
    current("usability", R, "BAD_QUALITY_IMAGE", "image quality too low"),
    current("usability", R, "BLURRED", "blurry image"),
    current("usability", R, "GLARE", "glare covers the ID"),
    current(
        "usability",
        R,
        "PART_OF_DOCUMENT_MISSING",
        "part of the document is outside the frame",
    ),
    current(
        "usability",
        R,
        "PART_OF_DOCUMENT_HIDDEN",
        "part of the ID is covered",
    ),
    current(
        "usability",
        R,
        "DAMAGED_DOCUMENT",
        "the document is damaged",
    ),
    current(
        "usability",
        R,
        "MISSING_MANDATORY_DATAPOINTS",
        "key fields (name, date of birth…) cannot be read",
    ),
    current(
        "usability",
        R,
        "DOCUMENT_CONTENT_NOT_SUPPORTED",
        "the document's content does not match its declared type",
    ),
    current(
        "usability",
        R,
        "DIGITAL_COPY",
        "the ID was photographed from a screen",
    ),
    current(
        "usability",
        R,
        "PHOTOCOPY",
        "a paper photocopy, not the original",
    ),
    current(
        "usability",
        W,
        "UNSUPPORTED_COUNTRY",
        "the issuing country is not enabled for the tenant",
    ),
    current(
        "usability",
        W,
        "UNSUPPORTED_DOCUMENT_TYPE",
        "the document type is not supported",
    ),
    legacy(
        "usability",
        R,
        "BAD_QUALITY",
        "older generic image-quality label",
    ),
    legacy(
        "usability",
        W,
        "LIVENESS_UNDETERMINED",
        "liveness could not be determined on the FACEMAP credential",
    ),
    // liveness: 14.
    current("liveness", NE, "PRECONDITION_NOT_FULFILLED", PRECONDITION),
    current("liveness", NE, "TECHNICAL_ERROR", TECHNICAL),
    current("liveness", P, "OK", "the person was physically present"),
    current(
        "liveness",
        R,
        "LIVENESS_UNDETERMINED",
        "liveness could not be determined",
    ),
    current(
        "liveness",
        R,
        "ID_USED_AS_SELFIE",
        "an ID photo was used as the selfie",
    ),
    current(
        "liveness",
        R,
        "MULTIPLE_PEOPLE",
        "more than one person in the selfie",
    ),
    current(
        "liveness",
        R,
        "DIGITAL_COPY",
        "the selfie was taken from a screen",
    ),
    current(
        "liveness",
        R,
        "PHOTOCOPY",
        "the selfie was taken from a printout",
    ),
    current(
        "liveness",
        R,
        "MANIPULATED",
        "the selfie was edited before upload",
    ),
    current("liveness", R, "NO_FACE_PRESENT", "no face in the selfie"),
    current(
        "liveness",
        R,
        "FACE_NOT_FULLY_VISIBLE",
        "the face is only partly visible",
    ),
    current("liveness", R, "BLACK_WHITE", "black-and-white selfie"),
    current(
        "liveness",
        W,
        "AGE_DIFFERENCE",
        "the predicted age is far from the date of birth on the ID",
    ),
    current("liveness", W, "BAD_QUALITY", "poor-quality selfie"),
    // similarity: 5, 1 legacy.
    current(
        "similarity",
        NE,
        "PRECONDITION_NOT_FULFILLED",
        "no face detected on the ID, or an upstream check failed",
    ),
    current("similarity", NE, "TECHNICAL_ERROR", TECHNICAL),
    current("similarity", P, "MATCH", "the selfie matches the ID photo"),
    current(
        "similarity",
        R,
        "NO_MATCH",
        "the selfie does not match the ID photo",
    ),
    current(
        "similarity",
        W,
        "NOT_POSSIBLE",
        "the faces could not be compared",
    ),
    legacy("similarity", R, "NOT_MATCH", "legacy spelling of NO_MATCH"),
    // extraction: 3.
    current("extraction", NE, "PRECONDITION_NOT_FULFILLED", PRECONDITION),
    current("extraction", NE, "TECHNICAL_ERROR", TECHNICAL),
    current(
        "extraction",
        P,
        "OK",
        "data was extracted from the document",
    ),
    // imageChecks: 30 current, 1 legacy.
    current(
        "imageChecks",
        NE,
        "PRECONDITION_NOT_FULFILLED",
        PRECONDITION,
    ),
    current("imageChecks", NE, "TECHNICAL_ERROR", TECHNICAL),
    current(
        "imageChecks",
        P,
        "OK",
        "the ID images passed all image checks",
    ),
    current(
        "imageChecks",
        R,
        "FAILED",
        "the ID images did not pass all image checks",
    ),
    current(
        "imageChecks",
        R,
        "WATERMARK",
        "the ID image contains a watermark (e.g. \"Sample\")",
    ),
    current(
        "imageChecks",
        R,
        "OTHER_REJECTION",
        "rejected for a reason outside the other labels",
    ),
    current(
        "imageChecks",
        R,
        "GHOST_IMAGE_DIFFERENT",
        "the main image and the ghost image differ",
    ),
    current(
        "imageChecks",
        R,
        "PUNCHED",
        "the ID has been hole-punched (not necessarily fraud)",
    ),
    current(
        "imageChecks",
        R,
        "SAMPLE",
        "the ID is a known sample document",
    ),
    current(
        "imageChecks",
        R,
        "FAKE",
        "the ID is a known fake or its image is public",
    ),
    current("imageChecks", R, "CHIP_MISSING", "the ID's chip is missing"),
    current(
        "imageChecks",
        R,
        "DIGITAL_MANIPULATION",
        "the ID image was manipulated before upload",
    ),
    current(
        "imageChecks",
        R,
        "MISMATCH_FRONT_BACK",
        "the country on the front differs from the back",
    ),
    current(
        "imageChecks",
        R,
        "MANIPULATED_DOCUMENT",
        "physically superimposed photo or text",
    ),
    current(
        "imageChecks",
        R,
        "MANIPULATED_DOCUMENT_PHOTO",
        "the portrait photo is superimposed",
    ),
    current(
        "imageChecks",
        R,
        "MANIPULATED_DOCUMENT_DOCUMENT_NUMBER",
        "the document number was manipulated",
    ),
    current(
        "imageChecks",
        R,
        "MANIPULATED_DOCUMENT_EXPIRY",
        "the expiry date was manipulated",
    ),
    current(
        "imageChecks",
        R,
        "MANIPULATED_DOCUMENT_DOB",
        "the date of birth was manipulated",
    ),
    current(
        "imageChecks",
        R,
        "MANIPULATED_DOCUMENT_NAME",
        "the name was manipulated",
    ),
    current(
        "imageChecks",
        R,
        "MANIPULATED_DOCUMENT_ADDRESS",
        "the address was manipulated",
    ),
    current(
        "imageChecks",
        R,
        "MANIPULATED_DOCUMENT_SECURITY_CHECKS",
        "a back-office agent found a security-feature issue",
    ),
    current(
        "imageChecks",
        R,
        "MANIPULATED_DOCUMENT_SIGNATURE",
        "the signature was manipulated",
    ),
    current(
        "imageChecks",
        R,
        "MANIPULATED_DOCUMENT_PERSONAL_NUMBER",
        "the personal number was manipulated",
    ),
    current(
        "imageChecks",
        R,
        "MANIPULATED_DOCUMENT_PLACE_OF_BIRTH",
        "the place of birth was manipulated",
    ),
    current(
        "imageChecks",
        R,
        "MANIPULATED_DOCUMENT_GENDER",
        "the gender was manipulated",
    ),
    current(
        "imageChecks",
        R,
        "MANIPULATED_DOCUMENT_ISSUING_DATE",
        "the issue date was manipulated",
    ),
    current(
        "imageChecks",
        R,
        "LOOKUPS_HIGH_RISK_FACE",
        "the face matches one confirmed as fraud",
    ),
    current(
        "imageChecks",
        W,
        "DIFFERENT_PERSON",
        "the face in the image does not match the person on the ID",
    ),
    current(
        "imageChecks",
        W,
        "REPEATED_FACE",
        "the same face was seen in an earlier transaction",
    ),
    current(
        "imageChecks",
        W,
        "GHOST_IMAGE_QUALITY_INSUFFICIENT",
        "the ghost image is too faded to check",
    ),
    legacy(
        "imageChecks",
        R,
        "DIGITAL_COPY",
        "the ID was photographed from a screen (2022–23 guide)",
    ),
    // dataChecks: 19 current, 3 legacy.
    current("dataChecks", NE, "PRECONDITION_NOT_FULFILLED", PRECONDITION),
    current("dataChecks", NE, "TECHNICAL_ERROR", TECHNICAL),
    current(
        "dataChecks",
        P,
        "OK",
        "no fraud found in the extracted data",
    ),
    current(
        "dataChecks",
        W,
        "DOCUMENT_EXPIRY_WITHIN_CONFIGURED_LIMIT",
        "the document is nearing its expiry date",
    ),
    current(
        "dataChecks",
        W,
        "ID_DATA_MISMATCH_LOW_CONFIDENCE",
        "a probable mismatch between occurrences of a field",
    ),
    current(
        "dataChecks",
        W,
        "ID_DATA_INVALID",
        "the ID data failed length, format or character validation",
    ),
    current(
        "dataChecks",
        W,
        "UNREADABLE_DATASOURCE",
        "the MRZ or barcode could not be read",
    ),
    current(
        "dataChecks",
        W,
        "LOOKUPS_MEDIUM_RISK_SAME_DOCUMENT_NUMBER",
        "the document number was seen with another name and date of birth",
    ),
    current(
        "dataChecks",
        R,
        "HIGH_FRAUD_RISK",
        "a high probability of fraud",
    ),
    current(
        "dataChecks",
        R,
        "NFC_CERTIFICATE",
        "the chip data does not match the printed data",
    ),
    current(
        "dataChecks",
        R,
        "MISMATCHING_DATAPOINTS",
        "repeated data points on the document disagree",
    ),
    current(
        "dataChecks",
        R,
        "MRZ_CHECKSUM",
        "the MRZ checksum has an unexpected value",
    ),
    current(
        "dataChecks",
        R,
        "MISMATCHING_DATA_REPEATED_FACE",
        "a face seen before comes with different personal data",
    ),
    current(
        "dataChecks",
        R,
        "CUSTOMER_FEEDBACK",
        "the data matches a transaction reported as fraud",
    ),
    current(
        "dataChecks",
        R,
        "ID_DATA_MISMATCH",
        "a significant mismatch between occurrences of a field",
    ),
    current(
        "dataChecks",
        R,
        "LOOKUPS_HIGH_RISK_SAME_DATA",
        "the document matches an earlier rejected transaction",
    ),
    current(
        "dataChecks",
        R,
        "LOOKUPS_HIGH_RISK_SAME_FACE_MISMATCHING_DATA",
        "the face matches an earlier one with different data",
    ),
    current(
        "dataChecks",
        R,
        "LOOKUPS_HIGH_RISK_DEVICE",
        "the device matches earlier rejected transactions",
    ),
    current(
        "dataChecks",
        R,
        "LOOKUPS_HIGH_RISK_IP_ADDRESS",
        "the IP address matches earlier rejected transactions",
    ),
    legacy(
        "dataChecks",
        R,
        "MISMATCH_HRZ_MRZ_DATA",
        "the printed data and the MRZ disagree (2021–23)",
    ),
    legacy(
        "dataChecks",
        R,
        "MISMATCH_FRONT_BACK",
        "front and back disagree (now under imageChecks)",
    ),
    legacy(
        "dataChecks",
        R,
        "SUPERIMPOSED_TEXT",
        "superimposed text on the document (2022 guide)",
    ),
    // watchlistScreening: 9. It never rejects.
    current(
        "watchlistScreening",
        NE,
        "PRECONDITION_NOT_FULFILLED",
        PRECONDITION,
    ),
    current("watchlistScreening", NE, "TECHNICAL_ERROR", TECHNICAL),
    current(
        "watchlistScreening",
        NE,
        "NOT_ENOUGH_DATA",
        "not enough data to screen",
    ),
    current(
        "watchlistScreening",
        NE,
        "VALIDATION_FAILED",
        "the screening input failed validation",
    ),
    current(
        "watchlistScreening",
        NE,
        "INVALID_MERCHANT_SETTINGS",
        "screening is not configured correctly for the tenant",
    ),
    current(
        "watchlistScreening",
        NE,
        "NO_VALID_ID_CREDENTIAL",
        "no valid ID credential to screen",
    ),
    current(
        "watchlistScreening",
        NE,
        "EXTRACTION_NOT_DONE",
        "extraction did not run, so there is nothing to screen",
    ),
    current("watchlistScreening", P, "OK", "no watchlist hits"),
    current(
        "watchlistScreening",
        W,
        "ALERT",
        "found on one or more sanctions, PEP or adverse-media lists",
    ),
    // authentication.
    current(
        "authentication",
        NE,
        "PRECONDITION_NOT_FULFILLED",
        PRECONDITION,
    ),
    current("authentication", NE, "TECHNICAL_ERROR", TECHNICAL),
    current(
        "authentication",
        P,
        "OK",
        "the returning user was authenticated",
    ),
    current(
        "authentication",
        R,
        "FAILED",
        "the returning user could not be authenticated",
    ),
    // addressValidation.
    current(
        "addressValidation",
        NE,
        "NOT_ENOUGH_DATA",
        "not enough data to validate the address",
    ),
    current("addressValidation", NE, "TECHNICAL_ERROR", TECHNICAL),
    current(
        "addressValidation",
        NE,
        "UNSUPPORTED_COUNTRY",
        "address validation is not available for the country",
    ),
    current(
        "addressValidation",
        NE,
        "PRECONDITION_NOT_FULFILLED",
        PRECONDITION,
    ),
    current("addressValidation", P, "OK", "the address was validated"),
    current(
        "addressValidation",
        W,
        "ALERT",
        "the address could only partly be validated",
    ),
    current(
        "addressValidation",
        R,
        "DENY",
        "the address could not be validated",
    ),
    // proofOfResidency.
    current(
        "proofOfResidency",
        NE,
        "NOT_ENOUGH_DATA",
        "not enough data to check residency (2023 guide)",
    ),
    current("proofOfResidency", NE, "TECHNICAL_ERROR", TECHNICAL),
    current(
        "proofOfResidency",
        NE,
        "UNSUPPORTED_COUNTRY",
        "not available for the country",
    ),
    current(
        "proofOfResidency",
        NE,
        "PRECONDITION_NOT_FULFILLED",
        PRECONDITION,
    ),
    current("proofOfResidency", P, "OK", "residency was proven"),
    current(
        "proofOfResidency",
        W,
        "ALERT",
        "residency could only partly be proven",
    ),
    current(
        "proofOfResidency",
        W,
        "NOT_ENOUGH_DATA",
        "not enough data to check residency (current docs)",
    ),
    current(
        "proofOfResidency",
        R,
        "DENY",
        "residency could not be proven",
    ),
    // drivingLicenseVerification.
    current(
        "drivingLicenseVerification",
        P,
        "OK",
        "the licence was verified with the issuer",
    ),
    current(
        "drivingLicenseVerification",
        R,
        "DENY",
        "the issuer did not confirm the licence",
    ),
    current(
        "drivingLicenseVerification",
        W,
        "ALERT",
        "the issuer confirmed the licence only in part",
    ),
    inferred(
        "drivingLicenseVerification",
        NE,
        "TECHNICAL_ERROR",
        TECHNICAL,
    ),
    inferred(
        "drivingLicenseVerification",
        NE,
        "UNSUPPORTED_COUNTRY",
        "not available for the country",
    ),
    inferred(
        "drivingLicenseVerification",
        NE,
        "UNSUPPORTED_STATE",
        "not available for the state",
    ),
    inferred(
        "drivingLicenseVerification",
        NE,
        "PRECONDITION_NOT_FULFILLED",
        PRECONDITION,
    ),
    inferred(
        "drivingLicenseVerification",
        NE,
        "VALIDATION_FAILED",
        "the input failed validation",
    ),
    // braCpfValidation.
    current("braCpfValidation", P, "OK", "the CPF number was validated"),
    current(
        "braCpfValidation",
        R,
        "DENY",
        "the CPF number could not be validated",
    ),
    current(
        "braCpfValidation",
        W,
        "UNSUPPORTED_COUNTRY",
        "CPF validation applies only to Brazil",
    ),
    current(
        "braCpfValidation",
        NE,
        "NOT_ENOUGH_DATA",
        "not enough data to validate",
    ),
    current("braCpfValidation", NE, "TECHNICAL_ERROR", TECHNICAL),
    current(
        "braCpfValidation",
        NE,
        "INVALID_MERCHANT_SETTINGS",
        "not configured correctly for the tenant",
    ),
    current(
        "braCpfValidation",
        NE,
        "VALIDATION_FAILED",
        "the input failed validation",
    ),
    current(
        "braCpfValidation",
        NE,
        "PRECONDITION_NOT_FULFILLED",
        PRECONDITION,
    ),
    // biometricVerification.
    inferred("biometricVerification", P, "LOW_RISK", "low biometric risk"),
    inferred(
        "biometricVerification",
        W,
        "MEDIUM_RISK",
        "medium biometric risk",
    ),
    inferred(
        "biometricVerification",
        R,
        "HIGH_RISK",
        "high biometric risk",
    ),
    inferred("biometricVerification", NE, "TECHNICAL_ERROR", TECHNICAL),
    inferred(
        "biometricVerification",
        NE,
        "PERMISSION_DENIED",
        "not permitted for the tenant",
    ),
    inferred(
        "biometricVerification",
        NE,
        "BAD_REQUEST",
        "the request was malformed",
    ),
    inferred(
        "biometricVerification",
        NE,
        "PRECONDITION_NOT_FULFILLED",
        PRECONDITION,
    ),
    // Risk signals.
    current("phoneVerification", P, "LOW_RISK", "low phone risk"),
    current("phoneVerification", W, "MEDIUM_RISK", "medium phone risk"),
    current("phoneVerification", R, "HIGH_RISK", "high phone risk"),
    current(
        "phoneVerification",
        NE,
        "PERMISSION_DENIED",
        "not permitted for the tenant",
    ),
    current("geoIpVerification", P, "LOW_RISK", "low IP-location risk"),
    inferred(
        "geoIpVerification",
        W,
        "MEDIUM_RISK",
        "medium IP-location risk",
    ),
    inferred("geoIpVerification", R, "HIGH_RISK", "high IP-location risk"),
    current("deviceRiskVerification", R, "HIGH_RISK", "high device risk"),
    inferred(
        "deviceRiskVerification",
        W,
        "MEDIUM_RISK",
        "medium device risk",
    ),
    inferred("deviceRiskVerification", P, "LOW_RISK", "low device risk"),
];

type Key<'a> = (&'a str, DecisionType, &'a str);

static INDEX: LazyLock<HashMap<Key<'static>, &'static CatalogueEntry>> = LazyLock::new(|| {
    CATALOGUE
        .iter()
        .map(|entry| ((entry.capability, entry.decision_type, entry.label), entry))
        .collect()
});

/// The catalogue entry for (capability, decision type, label), if known.
pub fn lookup(
    capability: &str,
    decision_type: DecisionType,
    label: &str,
) -> Option<&'static CatalogueEntry> {
    // The map's keys are &'static str; a HashMap is covariant in its key type,
    // so it can be searched with shorter-lived keys.
    let index: &HashMap<Key<'_>, &'static CatalogueEntry> = &INDEX;
    index.get(&(capability, decision_type, label)).copied()
}

/// Every label the catalogue lists for `capability`, any decision type.
pub fn labels_of(capability: &str) -> impl Iterator<Item = &'static CatalogueEntry> + '_ {
    CATALOGUE
        .iter()
        .filter(move |entry| entry.capability == capability)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn count(capability: &str, provenance: Provenance) -> usize {
        labels_of(capability)
            .filter(|entry| entry.provenance == provenance)
            .count()
    }

    #[test]
    fn counts_per_capability_and_provenance() {
        // The label tables this catalogue was transcribed from give these
        // counts, current and legacy, per capability.
        assert_eq!(
            (
                count("usability", Provenance::Current),
                count("usability", Provenance::Legacy)
            ),
            (19, 2)
        );
        assert_eq!(count("liveness", Provenance::Current), 14);
        assert_eq!(count("similarity", Provenance::Current), 5);
        assert_eq!(count("extraction", Provenance::Current), 3);
        assert_eq!(
            (
                count("imageChecks", Provenance::Current),
                count("imageChecks", Provenance::Legacy)
            ),
            (30, 1)
        );
        assert_eq!(
            (
                count("dataChecks", Provenance::Current),
                count("dataChecks", Provenance::Legacy)
            ),
            (19, 3)
        );
        assert_eq!(count("watchlistScreening", Provenance::Current), 9);
    }

    #[test]
    fn no_entry_is_listed_twice() {
        let mut seen = HashSet::new();
        for entry in CATALOGUE {
            assert!(
                seen.insert((entry.capability, entry.decision_type, entry.label)),
                "duplicate {entry:?}"
            );
        }
    }

    #[test]
    fn the_same_label_is_distinguished_by_capability_and_type() {
        let usability = lookup("usability", R, "DIGITAL_COPY").expect("usability DIGITAL_COPY");
        let liveness = lookup("liveness", R, "DIGITAL_COPY").expect("liveness DIGITAL_COPY");
        assert_ne!(usability.meaning, liveness.meaning);
        assert!(lookup("liveness", W, "BAD_QUALITY").is_some());
        assert!(lookup("liveness", R, "BAD_QUALITY").is_none());
        assert!(
            lookup("liveness", W, "REPEATED_FACE").is_none(),
            "REPEATED_FACE is imageChecks only"
        );
        assert!(lookup("imageChecks", W, "REPEATED_FACE").is_some());
    }

    #[test]
    fn watchlist_screening_never_rejects() {
        assert!(labels_of("watchlistScreening").all(|entry| entry.decision_type != R));
    }

    #[test]
    fn unknown_capabilities_are_not_known() {
        assert!(labels_of("imageChecks").next().is_some());
        assert!(labels_of("documentProvenanceCheck").next().is_none());
        assert!(
            labels_of("deviceRisk").next().is_none(),
            "the real key is deviceRiskVerification"
        );
    }
}
