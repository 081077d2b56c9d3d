//! The label catalogue: every (capability, decision type, label) Jumio is known
//! to return, current and legacy, with a one-line meaning.
//!
//! Keyed on all three because the same label means different things in
//! different capabilities (`DIGITAL_COPY` is an ID shot from a screen under
//! usability and a selfie shot from a screen under liveness). Each entry names
//! where it was published ([`Source`]): Jumio's current capability and
//! risk-signal reference, every revision of the KYX API guide (with the dates
//! of the first and last revision that list it), integrators' payloads. The
//! catalogue section of `crates/verdict-core/README.md` describes the sources
//! and lists every label that is not in Jumio's current reference.

use std::sync::LazyLock;

use crate::hash::FixedKeyMap;
use crate::model::DecisionType;

/// How current an entry is.
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

/// Where a label was published. Each entry names every source that lists it,
/// so a label Jumio moved or dropped can be traced to the revisions that had it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Jumio's capability reference: the label tables of the capability pages
    /// of Jumio's current documentation.
    CapabilityReference,
    /// Jumio's risk-signal pages on the same sites, several cut off part-way.
    RiskSignalReference,
    /// A public summary of the capability reference, for the rows the stored
    /// official pages cut off.
    ReferenceSummary,
    /// Jumio's KYX API guide, published with its revision history: the dates
    /// of the first and last revisions whose label table lists the label
    /// under this capability and decision type.
    ApiGuide {
        first: &'static str,
        last: &'static str,
    },
    /// The same guide, as a value of the capability's `data` rather than a
    /// decision label.
    ApiGuideData {
        first: &'static str,
        last: &'static str,
    },
    /// Public integrators' retrieval fixtures.
    ObservedPayload,
    /// Published for no capability of its own: assumed from the labels of
    /// similar capabilities.
    Siblings,
}

impl Source {
    /// The source in words, e.g. `KYX API guide, revisions 2022-01-14 to 2022-01-17`.
    pub fn describe(self) -> String {
        match self {
            Self::CapabilityReference => "capability reference".to_owned(),
            Self::RiskSignalReference => "risk-signal reference".to_owned(),
            Self::ReferenceSummary => "summary of the capability reference".to_owned(),
            Self::ApiGuide { first, last } => {
                format!("KYX API guide, revisions {first} to {last}")
            }
            Self::ApiGuideData { first, last } => {
                format!("KYX API guide (as a data value), revisions {first} to {last}")
            }
            Self::ObservedPayload => "integrators' payloads".to_owned(),
            Self::Siblings => "inferred from similar capabilities".to_owned(),
        }
    }
}

/// One known (capability, decision type, label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogueEntry {
    pub capability: &'static str,
    pub decision_type: DecisionType,
    pub label: &'static str,
    pub meaning: &'static str,
    pub provenance: Provenance,
    /// Where it was published; never empty.
    pub sources: &'static [Source],
}

const P: DecisionType = DecisionType::Passed;
const W: DecisionType = DecisionType::Warning;
const R: DecisionType = DecisionType::Rejected;
const NE: DecisionType = DecisionType::NotExecuted;

const REFERENCE: Source = Source::CapabilityReference;
const RISK_SIGNALS: Source = Source::RiskSignalReference;
const SUMMARY: Source = Source::ReferenceSummary;
const SEEN: Source = Source::ObservedPayload;
const SIBLINGS: Source = Source::Siblings;

const fn guide(first: &'static str, last: &'static str) -> Source {
    Source::ApiGuide { first, last }
}

const fn guide_data(first: &'static str, last: &'static str) -> Source {
    Source::ApiGuideData { first, last }
}

const fn current(
    capability: &'static str,
    decision_type: DecisionType,
    label: &'static str,
    meaning: &'static str,
    sources: &'static [Source],
) -> CatalogueEntry {
    CatalogueEntry {
        capability,
        decision_type,
        label,
        meaning,
        provenance: Provenance::Current,
        sources,
    }
}

const fn legacy(
    capability: &'static str,
    decision_type: DecisionType,
    label: &'static str,
    meaning: &'static str,
    sources: &'static [Source],
) -> CatalogueEntry {
    CatalogueEntry {
        provenance: Provenance::Legacy,
        ..current(capability, decision_type, label, meaning, sources)
    }
}

const fn inferred(
    capability: &'static str,
    decision_type: DecisionType,
    label: &'static str,
    meaning: &'static str,
    sources: &'static [Source],
) -> CatalogueEntry {
    CatalogueEntry {
        provenance: Provenance::Inferred,
        ..current(capability, decision_type, label, meaning, sources)
    }
}

const PRECONDITION: &str = "required data from an upstream capability is not available";
const TECHNICAL: &str = "an error prevented execution";

/// Every catalogued entry.
pub static CATALOGUE: &[CatalogueEntry] = &[
    // usability.
    current(
        "usability",
        NE,
        "TECHNICAL_ERROR",
        TECHNICAL,
        &[REFERENCE, guide("2021-08-11", "2023-04-13")],
    ),
    current(
        "usability",
        NE,
        "NOT_UPLOADED",
        "the image was never uploaded",
        &[REFERENCE, guide("2021-08-11", "2023-04-13"), SEEN],
    ),
    current(
        "usability",
        P,
        "OK",
        "image quality is good enough",
        &[REFERENCE, guide("2021-08-11", "2023-04-13")],
    ),
    current(
        "usability",
        R,
        "BLACK_WHITE",
        "black-and-white image of the ID",
        &[REFERENCE, guide("2021-08-11", "2023-04-13")],
    ),
    current(
        "usability",
        R,
        "MISSING_SIGNATURE",
        "no signature found on the ID",
        &[REFERENCE, guide("2021-08-11", "2023-04-13"), SEEN],
    ),
    current(
        "usability",
        R,
        "MISSING_PAGE",
        "the front or back page is missing",
        &[REFERENCE, guide("2021-08-11", "2023-04-13")],
    ),
    current(
        "usability",
        R,
        "NOT_A_DOCUMENT",
        "not a recognised document",
        &[REFERENCE, guide("2021-08-11", "2023-04-13")],
    ),
    current(
        "usability",
        R,
        "BAD_QUALITY_IMAGE",
        "image quality too low",
        &[REFERENCE, guide("2023-01-13", "2023-04-13")],
    ),
    current(
        "usability",
        R,
        "BLURRED",
        "blurry image",
        &[REFERENCE, guide("2023-01-13", "2023-04-13")],
    ),
    current(
        "usability",
        R,
        "GLARE",
        "glare covers the ID",
        &[REFERENCE, guide("2023-01-13", "2023-04-13")],
    ),
    current(
        "usability",
        R,
        "PART_OF_DOCUMENT_MISSING",
        "part of the document is outside the frame",
        &[REFERENCE, guide("2023-01-13", "2023-04-13")],
    ),
    current(
        "usability",
        R,
        "PART_OF_DOCUMENT_HIDDEN",
        "part of the ID is covered",
        &[REFERENCE, guide("2023-01-13", "2023-04-13")],
    ),
    current(
        "usability",
        R,
        "DAMAGED_DOCUMENT",
        "the document is damaged",
        &[REFERENCE, guide("2023-01-13", "2023-04-13")],
    ),
    current(
        "usability",
        R,
        "MISSING_MANDATORY_DATAPOINTS",
        "key fields (name, date of birth…) cannot be read",
        &[SUMMARY, guide("2023-01-13", "2023-04-13")],
    ),
    current(
        "usability",
        R,
        "DOCUMENT_CONTENT_NOT_SUPPORTED",
        "the document's content does not match its declared type",
        &[SUMMARY],
    ),
    current(
        "usability",
        R,
        "DIGITAL_COPY",
        "the ID was photographed from a screen",
        &[SUMMARY],
    ),
    current(
        "usability",
        R,
        "PHOTOCOPY",
        "a paper photocopy, not the original",
        &[REFERENCE, guide("2021-08-11", "2023-04-13")],
    ),
    current(
        "usability",
        W,
        "UNSUPPORTED_COUNTRY",
        "the issuing country is not enabled for the tenant",
        &[SUMMARY, guide("2021-08-11", "2023-04-13")],
    ),
    current(
        "usability",
        W,
        "UNSUPPORTED_DOCUMENT_TYPE",
        "the document type is not supported",
        &[SUMMARY, guide("2021-08-11", "2023-04-13"), SEEN],
    ),
    legacy(
        "usability",
        R,
        "BAD_QUALITY",
        "older generic image-quality label",
        &[guide("2021-08-11", "2023-04-13"), SEEN],
    ),
    legacy(
        "usability",
        W,
        "LIVENESS_UNDETERMINED",
        "liveness could not be determined on the FACEMAP credential",
        &[guide("2021-08-11", "2023-04-13"), SEEN],
    ),
    // liveness.
    current(
        "liveness",
        NE,
        "PRECONDITION_NOT_FULFILLED",
        PRECONDITION,
        &[REFERENCE, guide("2021-08-11", "2023-04-13")],
    ),
    current(
        "liveness",
        NE,
        "TECHNICAL_ERROR",
        TECHNICAL,
        &[REFERENCE, guide("2021-08-11", "2023-04-13")],
    ),
    current(
        "liveness",
        P,
        "OK",
        "the person was physically present",
        &[REFERENCE, guide("2021-08-11", "2023-04-13")],
    ),
    current(
        "liveness",
        R,
        "LIVENESS_UNDETERMINED",
        "liveness could not be determined",
        &[REFERENCE, guide("2021-08-11", "2023-04-13")],
    ),
    current(
        "liveness",
        R,
        "ID_USED_AS_SELFIE",
        "an ID photo was used as the selfie",
        &[REFERENCE, guide("2021-08-11", "2023-04-13")],
    ),
    current(
        "liveness",
        R,
        "MULTIPLE_PEOPLE",
        "more than one person in the selfie",
        &[REFERENCE, guide("2021-08-11", "2023-04-13")],
    ),
    current(
        "liveness",
        R,
        "DIGITAL_COPY",
        "the selfie was taken from a screen",
        &[REFERENCE, guide("2021-08-11", "2023-04-13")],
    ),
    current(
        "liveness",
        R,
        "PHOTOCOPY",
        "the selfie was taken from a printout",
        &[REFERENCE, guide("2021-08-11", "2023-04-13")],
    ),
    current(
        "liveness",
        R,
        "MANIPULATED",
        "the selfie was edited before upload",
        &[REFERENCE, guide("2021-08-11", "2023-04-13")],
    ),
    current(
        "liveness",
        R,
        "NO_FACE_PRESENT",
        "no face in the selfie",
        &[REFERENCE, guide("2021-08-11", "2023-04-13")],
    ),
    current(
        "liveness",
        R,
        "FACE_NOT_FULLY_VISIBLE",
        "the face is only partly visible",
        &[REFERENCE, guide("2021-08-11", "2023-04-13")],
    ),
    current(
        "liveness",
        R,
        "BLACK_WHITE",
        "black-and-white selfie",
        &[REFERENCE, guide("2021-08-11", "2023-04-13")],
    ),
    current(
        "liveness",
        W,
        "AGE_DIFFERENCE",
        "the predicted age is far from the date of birth on the ID",
        &[REFERENCE, guide("2021-08-11", "2023-04-13")],
    ),
    current(
        "liveness",
        W,
        "BAD_QUALITY",
        "poor-quality selfie",
        &[SUMMARY, guide("2021-08-11", "2023-04-13"), SEEN],
    ),
    // similarity.
    current(
        "similarity",
        NE,
        "PRECONDITION_NOT_FULFILLED",
        "no face detected on the ID, or an upstream check failed",
        &[REFERENCE, guide("2021-08-11", "2023-04-13")],
    ),
    current(
        "similarity",
        NE,
        "TECHNICAL_ERROR",
        TECHNICAL,
        &[REFERENCE, guide("2021-08-11", "2023-04-13")],
    ),
    current(
        "similarity",
        P,
        "MATCH",
        "the selfie matches the ID photo",
        &[REFERENCE, guide("2021-08-11", "2023-04-13")],
    ),
    current(
        "similarity",
        R,
        "NO_MATCH",
        "the selfie does not match the ID photo",
        &[REFERENCE, guide("2021-08-11", "2023-04-13")],
    ),
    current(
        "similarity",
        W,
        "NOT_POSSIBLE",
        "the faces could not be compared",
        &[REFERENCE, guide("2021-08-11", "2023-04-13"), SEEN],
    ),
    legacy(
        "similarity",
        R,
        "NOT_MATCH",
        "the guide's spelling of NO_MATCH, for data.similarity",
        &[guide_data("2021-08-25", "2023-04-13")],
    ),
    // extraction.
    current(
        "extraction",
        NE,
        "PRECONDITION_NOT_FULFILLED",
        PRECONDITION,
        &[REFERENCE, guide("2021-08-11", "2023-04-13")],
    ),
    current(
        "extraction",
        NE,
        "TECHNICAL_ERROR",
        TECHNICAL,
        &[REFERENCE, guide("2021-08-11", "2023-04-13")],
    ),
    current(
        "extraction",
        P,
        "OK",
        "data was extracted from the document",
        &[REFERENCE, guide("2021-08-11", "2023-04-13")],
    ),
    // imageChecks.
    current(
        "imageChecks",
        NE,
        "PRECONDITION_NOT_FULFILLED",
        PRECONDITION,
        &[REFERENCE, guide("2021-08-11", "2023-04-13")],
    ),
    current(
        "imageChecks",
        NE,
        "TECHNICAL_ERROR",
        TECHNICAL,
        &[REFERENCE, guide("2021-08-11", "2023-04-13")],
    ),
    current(
        "imageChecks",
        P,
        "OK",
        "the ID images passed all image checks",
        &[REFERENCE, guide("2021-08-11", "2023-04-13")],
    ),
    current(
        "imageChecks",
        R,
        "FAILED",
        "the ID images did not pass all image checks",
        &[REFERENCE],
    ),
    current(
        "imageChecks",
        R,
        "WATERMARK",
        "the ID image contains a watermark (e.g. \"Sample\")",
        &[REFERENCE, guide("2021-08-11", "2023-04-13")],
    ),
    current(
        "imageChecks",
        R,
        "OTHER_REJECTION",
        "rejected for a reason outside the other labels",
        &[REFERENCE, guide("2021-08-11", "2023-04-13")],
    ),
    current(
        "imageChecks",
        R,
        "GHOST_IMAGE_DIFFERENT",
        "the main image and the ghost image differ",
        &[REFERENCE, guide("2021-08-11", "2023-04-13")],
    ),
    current(
        "imageChecks",
        R,
        "PUNCHED",
        "the ID has been hole-punched (not necessarily fraud)",
        &[REFERENCE, guide("2021-08-11", "2023-04-13")],
    ),
    current(
        "imageChecks",
        R,
        "SAMPLE",
        "the ID is a known sample document",
        &[REFERENCE, guide("2021-08-11", "2023-04-13")],
    ),
    current(
        "imageChecks",
        R,
        "FAKE",
        "the ID is a known fake or its image is public",
        &[REFERENCE, guide("2021-08-25", "2023-04-13")],
    ),
    current(
        "imageChecks",
        R,
        "CHIP_MISSING",
        "the ID's chip is missing",
        &[REFERENCE, guide("2021-08-25", "2023-04-13")],
    ),
    current(
        "imageChecks",
        R,
        "DIGITAL_MANIPULATION",
        "the ID image was manipulated before upload",
        &[REFERENCE, guide("2022-01-18", "2023-04-13")],
    ),
    current(
        "imageChecks",
        R,
        "MISMATCH_FRONT_BACK",
        "the country on the front differs from the back",
        &[REFERENCE, guide("2022-06-09", "2023-04-13")],
    ),
    current(
        "imageChecks",
        R,
        "MANIPULATED_DOCUMENT",
        "physically superimposed photo or text",
        &[REFERENCE, guide("2021-08-11", "2023-04-13")],
    ),
    current(
        "imageChecks",
        R,
        "MANIPULATED_DOCUMENT_PHOTO",
        "the portrait photo is superimposed",
        &[REFERENCE, guide("2023-01-13", "2023-04-13")],
    ),
    current(
        "imageChecks",
        R,
        "MANIPULATED_DOCUMENT_DOCUMENT_NUMBER",
        "the document number was manipulated",
        &[REFERENCE],
    ),
    current(
        "imageChecks",
        R,
        "MANIPULATED_DOCUMENT_EXPIRY",
        "the expiry date was manipulated",
        &[REFERENCE, guide("2023-01-13", "2023-04-13")],
    ),
    current(
        "imageChecks",
        R,
        "MANIPULATED_DOCUMENT_DOB",
        "the date of birth was manipulated",
        &[REFERENCE],
    ),
    current(
        "imageChecks",
        R,
        "MANIPULATED_DOCUMENT_NAME",
        "the name was manipulated",
        &[REFERENCE, guide("2023-01-13", "2023-04-13")],
    ),
    current(
        "imageChecks",
        R,
        "MANIPULATED_DOCUMENT_ADDRESS",
        "the address was manipulated",
        &[REFERENCE, guide("2023-01-13", "2023-04-13")],
    ),
    current(
        "imageChecks",
        R,
        "MANIPULATED_DOCUMENT_SECURITY_CHECKS",
        "a back-office agent found a security-feature issue",
        &[REFERENCE, guide("2023-01-13", "2023-04-13")],
    ),
    current(
        "imageChecks",
        R,
        "MANIPULATED_DOCUMENT_SIGNATURE",
        "the signature was manipulated",
        &[REFERENCE, guide("2023-01-13", "2023-04-13")],
    ),
    current(
        "imageChecks",
        R,
        "MANIPULATED_DOCUMENT_PERSONAL_NUMBER",
        "the personal number was manipulated",
        &[REFERENCE, guide("2023-01-13", "2023-04-13")],
    ),
    current(
        "imageChecks",
        R,
        "MANIPULATED_DOCUMENT_PLACE_OF_BIRTH",
        "the place of birth was manipulated",
        &[REFERENCE, guide("2023-01-13", "2023-04-13")],
    ),
    current(
        "imageChecks",
        R,
        "MANIPULATED_DOCUMENT_GENDER",
        "the gender was manipulated",
        &[REFERENCE, guide("2023-01-13", "2023-04-13")],
    ),
    current(
        "imageChecks",
        R,
        "MANIPULATED_DOCUMENT_ISSUING_DATE",
        "the issue date was manipulated",
        &[REFERENCE, guide("2023-01-13", "2023-04-13")],
    ),
    current(
        "imageChecks",
        R,
        "LOOKUPS_HIGH_RISK_FACE",
        "the face matches one confirmed as fraud",
        &[REFERENCE],
    ),
    current(
        "imageChecks",
        W,
        "DIFFERENT_PERSON",
        "the face in the image does not match the person on the ID",
        &[REFERENCE, guide("2021-08-11", "2023-04-13")],
    ),
    current(
        "imageChecks",
        W,
        "REPEATED_FACE",
        "the same face was seen in an earlier transaction",
        &[REFERENCE, guide("2021-08-25", "2023-04-13"), SEEN],
    ),
    current(
        "imageChecks",
        W,
        "GHOST_IMAGE_QUALITY_INSUFFICIENT",
        "the ghost image is too faded to check",
        &[REFERENCE],
    ),
    legacy(
        "imageChecks",
        R,
        "DIGITAL_COPY",
        "the ID was photographed from a screen (2021–23 guide)",
        &[guide("2021-08-11", "2023-04-13")],
    ),
    // dataChecks.
    current(
        "dataChecks",
        NE,
        "PRECONDITION_NOT_FULFILLED",
        PRECONDITION,
        &[REFERENCE, guide("2021-08-11", "2023-04-13")],
    ),
    current(
        "dataChecks",
        NE,
        "TECHNICAL_ERROR",
        TECHNICAL,
        &[REFERENCE, guide("2021-08-11", "2023-04-13")],
    ),
    current(
        "dataChecks",
        P,
        "OK",
        "no fraud found in the extracted data",
        &[REFERENCE, guide("2021-08-11", "2023-04-13")],
    ),
    current(
        "dataChecks",
        W,
        "DOCUMENT_EXPIRY_WITHIN_CONFIGURED_LIMIT",
        "the document is nearing its expiry date",
        &[REFERENCE],
    ),
    current(
        "dataChecks",
        W,
        "ID_DATA_MISMATCH_LOW_CONFIDENCE",
        "a probable mismatch between occurrences of a field",
        &[REFERENCE],
    ),
    current(
        "dataChecks",
        W,
        "ID_DATA_INVALID",
        "the ID data failed length, format or character validation",
        &[REFERENCE],
    ),
    current(
        "dataChecks",
        W,
        "UNREADABLE_DATASOURCE",
        "the MRZ or barcode could not be read",
        &[REFERENCE],
    ),
    current(
        "dataChecks",
        W,
        "LOOKUPS_MEDIUM_RISK_SAME_DOCUMENT_NUMBER",
        "the document number was seen with another name and date of birth",
        &[REFERENCE],
    ),
    current(
        "dataChecks",
        R,
        "HIGH_FRAUD_RISK",
        "a high probability of fraud",
        &[REFERENCE],
    ),
    current(
        "dataChecks",
        R,
        "NFC_CERTIFICATE",
        "the chip data does not match the printed data",
        &[REFERENCE, guide("2021-08-11", "2023-04-13")],
    ),
    current(
        "dataChecks",
        R,
        "MISMATCHING_DATAPOINTS",
        "repeated data points on the document disagree",
        &[REFERENCE, guide("2021-08-11", "2023-04-13")],
    ),
    current(
        "dataChecks",
        R,
        "MRZ_CHECKSUM",
        "the MRZ checksum has an unexpected value",
        &[REFERENCE, guide("2021-08-11", "2023-04-13")],
    ),
    current(
        "dataChecks",
        R,
        "MISMATCHING_DATA_REPEATED_FACE",
        "a face seen before comes with different personal data",
        &[REFERENCE, guide("2021-08-25", "2023-04-13"), SEEN],
    ),
    current(
        "dataChecks",
        R,
        "CUSTOMER_FEEDBACK",
        "the data matches a transaction reported as fraud",
        &[REFERENCE],
    ),
    current(
        "dataChecks",
        R,
        "ID_DATA_MISMATCH",
        "a significant mismatch between occurrences of a field",
        &[REFERENCE],
    ),
    current(
        "dataChecks",
        R,
        "LOOKUPS_HIGH_RISK_SAME_DATA",
        "the document matches an earlier rejected transaction",
        &[REFERENCE],
    ),
    current(
        "dataChecks",
        R,
        "LOOKUPS_HIGH_RISK_SAME_FACE_MISMATCHING_DATA",
        "the face matches an earlier one with different data",
        &[REFERENCE],
    ),
    current(
        "dataChecks",
        R,
        "LOOKUPS_HIGH_RISK_DEVICE",
        "the device matches earlier rejected transactions",
        &[REFERENCE],
    ),
    current(
        "dataChecks",
        R,
        "LOOKUPS_HIGH_RISK_IP_ADDRESS",
        "the IP address matches earlier rejected transactions",
        &[REFERENCE],
    ),
    legacy(
        "dataChecks",
        R,
        "MISMATCH_HRZ_MRZ_DATA",
        "the printed data and the MRZ disagree (2021–23)",
        &[guide("2022-06-09", "2023-04-13"), SEEN],
    ),
    legacy(
        "dataChecks",
        R,
        "MISMATCH_FRONT_BACK",
        "front and back disagree (now under imageChecks)",
        &[guide("2021-11-17", "2022-06-01"), SEEN],
    ),
    legacy(
        "dataChecks",
        R,
        "SUPERIMPOSED_TEXT",
        "superimposed text on the document (2022 guide)",
        &[guide("2021-11-17", "2022-06-01"), SEEN],
    ),
    legacy(
        "dataChecks",
        R,
        "CHIP_MISSING",
        "the ID's chip is missing (now under imageChecks)",
        &[guide("2022-01-14", "2022-01-17")],
    ),
    legacy(
        "dataChecks",
        R,
        "DIGITAL_MANIPULATION",
        "the ID image was manipulated before upload (now under imageChecks)",
        &[guide("2022-01-14", "2022-01-17")],
    ),
    // watchlistScreening.
    current(
        "watchlistScreening",
        NE,
        "PRECONDITION_NOT_FULFILLED",
        PRECONDITION,
        &[REFERENCE, guide("2022-06-09", "2023-04-13")],
    ),
    current(
        "watchlistScreening",
        NE,
        "TECHNICAL_ERROR",
        TECHNICAL,
        &[REFERENCE, guide("2021-08-20", "2023-04-13")],
    ),
    current(
        "watchlistScreening",
        NE,
        "NOT_ENOUGH_DATA",
        "not enough data to screen",
        &[REFERENCE, guide("2021-08-20", "2023-04-13")],
    ),
    current(
        "watchlistScreening",
        NE,
        "VALIDATION_FAILED",
        "the screening input failed validation",
        &[REFERENCE, guide("2021-08-20", "2023-04-13"), SEEN],
    ),
    current(
        "watchlistScreening",
        NE,
        "INVALID_MERCHANT_SETTINGS",
        "screening is not configured correctly for the tenant",
        &[REFERENCE, guide("2021-08-20", "2023-04-13")],
    ),
    current(
        "watchlistScreening",
        NE,
        "NO_VALID_ID_CREDENTIAL",
        "no valid ID credential to screen",
        &[REFERENCE, guide("2021-08-20", "2023-04-13")],
    ),
    current(
        "watchlistScreening",
        NE,
        "EXTRACTION_NOT_DONE",
        "extraction did not run, so there is nothing to screen",
        &[REFERENCE, guide("2021-08-20", "2023-04-13")],
    ),
    current(
        "watchlistScreening",
        P,
        "OK",
        "no watchlist hits",
        &[REFERENCE, guide("2021-08-20", "2023-04-13")],
    ),
    current(
        "watchlistScreening",
        W,
        "ALERT",
        "found on one or more sanctions, PEP or adverse-media lists",
        &[REFERENCE, guide("2021-08-24", "2023-04-13")],
    ),
    // authentication.
    current(
        "authentication",
        NE,
        "PRECONDITION_NOT_FULFILLED",
        PRECONDITION,
        &[guide("2021-08-11", "2023-04-13")],
    ),
    current(
        "authentication",
        NE,
        "TECHNICAL_ERROR",
        TECHNICAL,
        &[guide("2021-08-11", "2023-04-13")],
    ),
    current(
        "authentication",
        P,
        "OK",
        "the returning user was authenticated",
        &[guide("2021-08-11", "2023-04-13")],
    ),
    current(
        "authentication",
        R,
        "FAILED",
        "the returning user could not be authenticated",
        &[guide("2021-08-11", "2023-04-13")],
    ),
    // addressValidation.
    current(
        "addressValidation",
        NE,
        "NOT_ENOUGH_DATA",
        "not enough data to validate the address",
        &[RISK_SIGNALS, guide("2021-08-23", "2023-04-13")],
    ),
    current(
        "addressValidation",
        NE,
        "TECHNICAL_ERROR",
        TECHNICAL,
        &[RISK_SIGNALS, guide("2021-08-23", "2023-04-13")],
    ),
    current(
        "addressValidation",
        NE,
        "UNSUPPORTED_COUNTRY",
        "address validation is not available for the country",
        &[RISK_SIGNALS, guide("2021-08-23", "2023-04-13")],
    ),
    current(
        "addressValidation",
        NE,
        "PRECONDITION_NOT_FULFILLED",
        PRECONDITION,
        &[RISK_SIGNALS, guide("2022-06-09", "2023-04-13")],
    ),
    current(
        "addressValidation",
        P,
        "OK",
        "the address was validated",
        &[RISK_SIGNALS, guide("2021-08-23", "2023-04-13")],
    ),
    current(
        "addressValidation",
        W,
        "ALERT",
        "the address could only partly be validated",
        &[RISK_SIGNALS, guide("2021-08-23", "2023-04-13")],
    ),
    current(
        "addressValidation",
        R,
        "DENY",
        "the address could not be validated",
        &[RISK_SIGNALS, guide("2021-08-23", "2023-04-13")],
    ),
    // proofOfResidency.
    current(
        "proofOfResidency",
        NE,
        "NOT_ENOUGH_DATA",
        "not enough data to check residency (2021–23 guide)",
        &[RISK_SIGNALS, guide("2021-08-23", "2023-04-13")],
    ),
    current(
        "proofOfResidency",
        NE,
        "TECHNICAL_ERROR",
        TECHNICAL,
        &[RISK_SIGNALS, guide("2021-08-23", "2023-04-13")],
    ),
    current(
        "proofOfResidency",
        NE,
        "UNSUPPORTED_COUNTRY",
        "not available for the country",
        &[RISK_SIGNALS, guide("2021-08-23", "2023-04-13")],
    ),
    current(
        "proofOfResidency",
        NE,
        "PRECONDITION_NOT_FULFILLED",
        PRECONDITION,
        &[RISK_SIGNALS, guide("2022-06-09", "2023-04-13")],
    ),
    current(
        "proofOfResidency",
        P,
        "OK",
        "residency was proven",
        &[RISK_SIGNALS, guide("2021-08-23", "2023-04-13")],
    ),
    current(
        "proofOfResidency",
        W,
        "ALERT",
        "residency could only partly be proven",
        &[RISK_SIGNALS, guide("2021-08-23", "2023-04-13")],
    ),
    current(
        "proofOfResidency",
        W,
        "NOT_ENOUGH_DATA",
        "not enough data to check residency (current docs)",
        &[RISK_SIGNALS],
    ),
    current(
        "proofOfResidency",
        R,
        "DENY",
        "residency could not be proven",
        &[RISK_SIGNALS, guide("2021-08-23", "2023-04-13")],
    ),
    // drivingLicenseVerification.
    current(
        "drivingLicenseVerification",
        P,
        "OK",
        "the licence was verified with the issuer",
        &[guide("2021-08-23", "2023-04-13")],
    ),
    current(
        "drivingLicenseVerification",
        R,
        "DENY",
        "the issuer did not confirm the licence",
        &[guide("2021-08-23", "2023-04-13")],
    ),
    current(
        "drivingLicenseVerification",
        W,
        "ALERT",
        "the issuer confirmed the licence only in part",
        &[guide("2021-08-23", "2023-04-13")],
    ),
    current(
        "drivingLicenseVerification",
        NE,
        "TECHNICAL_ERROR",
        TECHNICAL,
        &[guide("2021-08-23", "2023-04-13")],
    ),
    current(
        "drivingLicenseVerification",
        NE,
        "UNSUPPORTED_COUNTRY",
        "not available for the country",
        &[guide("2021-08-23", "2023-04-13")],
    ),
    current(
        "drivingLicenseVerification",
        NE,
        "UNSUPPORTED_STATE",
        "not available for the state",
        &[guide("2021-08-23", "2023-04-13")],
    ),
    current(
        "drivingLicenseVerification",
        NE,
        "PRECONDITION_NOT_FULFILLED",
        PRECONDITION,
        &[guide("2022-06-09", "2023-04-13")],
    ),
    current(
        "drivingLicenseVerification",
        NE,
        "VALIDATION_FAILED",
        "the input failed validation",
        &[guide("2021-08-23", "2023-04-13")],
    ),
    // braCpfValidation.
    current(
        "braCpfValidation",
        P,
        "OK",
        "the CPF number was validated",
        &[guide("2022-02-18", "2022-03-08")],
    ),
    current(
        "braCpfValidation",
        R,
        "DENY",
        "the CPF number could not be validated",
        &[guide("2022-02-18", "2022-03-08")],
    ),
    current(
        "braCpfValidation",
        W,
        "UNSUPPORTED_COUNTRY",
        "CPF validation applies only to Brazil",
        &[guide("2022-02-18", "2022-03-08")],
    ),
    current(
        "braCpfValidation",
        NE,
        "NOT_ENOUGH_DATA",
        "not enough data to validate",
        &[guide("2022-02-18", "2022-03-08")],
    ),
    current(
        "braCpfValidation",
        NE,
        "TECHNICAL_ERROR",
        TECHNICAL,
        &[guide("2022-02-18", "2022-03-08")],
    ),
    current(
        "braCpfValidation",
        NE,
        "INVALID_MERCHANT_SETTINGS",
        "not configured correctly for the tenant",
        &[guide("2022-02-18", "2022-03-08")],
    ),
    current(
        "braCpfValidation",
        NE,
        "VALIDATION_FAILED",
        "the input failed validation",
        &[guide("2022-02-18", "2022-03-08")],
    ),
    current(
        "braCpfValidation",
        NE,
        "PRECONDITION_NOT_FULFILLED",
        PRECONDITION,
        &[guide("2022-02-18", "2022-03-08")],
    ),
    // biometricVerification.
    inferred(
        "biometricVerification",
        P,
        "LOW_RISK",
        "low biometric risk",
        &[guide("2022-02-18", "2022-03-08")],
    ),
    inferred(
        "biometricVerification",
        W,
        "MEDIUM_RISK",
        "medium biometric risk",
        &[guide("2022-02-18", "2022-03-08")],
    ),
    inferred(
        "biometricVerification",
        R,
        "HIGH_RISK",
        "high biometric risk",
        &[guide("2022-02-18", "2022-03-08")],
    ),
    inferred(
        "biometricVerification",
        NE,
        "TECHNICAL_ERROR",
        TECHNICAL,
        &[guide("2022-02-18", "2022-03-08")],
    ),
    inferred(
        "biometricVerification",
        NE,
        "PERMISSION_DENIED",
        "not permitted for the tenant",
        &[guide("2022-02-18", "2022-03-08")],
    ),
    inferred(
        "biometricVerification",
        NE,
        "BAD_REQUEST",
        "the request was malformed",
        &[guide("2022-02-18", "2022-03-08")],
    ),
    inferred(
        "biometricVerification",
        NE,
        "PRECONDITION_NOT_FULFILLED",
        PRECONDITION,
        &[guide("2022-02-18", "2022-03-08")],
    ),
    // phoneVerification.
    current(
        "phoneVerification",
        P,
        "LOW_RISK",
        "low phone risk",
        &[RISK_SIGNALS],
    ),
    current(
        "phoneVerification",
        W,
        "MEDIUM_RISK",
        "medium phone risk",
        &[RISK_SIGNALS],
    ),
    current(
        "phoneVerification",
        R,
        "HIGH_RISK",
        "high phone risk",
        &[RISK_SIGNALS],
    ),
    current(
        "phoneVerification",
        NE,
        "PERMISSION_DENIED",
        "not permitted for the tenant",
        &[RISK_SIGNALS],
    ),
    // geoIpVerification.
    current(
        "geoIpVerification",
        P,
        "LOW_RISK",
        "low IP-location risk",
        &[RISK_SIGNALS],
    ),
    inferred(
        "geoIpVerification",
        W,
        "MEDIUM_RISK",
        "medium IP-location risk",
        &[SIBLINGS],
    ),
    inferred(
        "geoIpVerification",
        R,
        "HIGH_RISK",
        "high IP-location risk",
        &[SIBLINGS],
    ),
    // deviceRiskVerification.
    current(
        "deviceRiskVerification",
        R,
        "HIGH_RISK",
        "high device risk",
        &[RISK_SIGNALS],
    ),
    inferred(
        "deviceRiskVerification",
        W,
        "MEDIUM_RISK",
        "medium device risk",
        &[SIBLINGS],
    ),
    inferred(
        "deviceRiskVerification",
        P,
        "LOW_RISK",
        "low device risk",
        &[SIBLINGS],
    ),
];

type Key<'a> = (&'a str, DecisionType, &'a str);

static INDEX: LazyLock<FixedKeyMap<Key<'static>, &'static CatalogueEntry>> = LazyLock::new(|| {
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
    let index: &FixedKeyMap<Key<'_>, &'static CatalogueEntry> = &INDEX;
    index.get(&(capability, decision_type, label)).copied()
}

/// The labels Jumio passes a check with, any capability (`OK`, `MATCH`,
/// `LOW_RISK`), and the capabilities the catalogue knows.
static PASSES: LazyLock<(Vec<&'static str>, Vec<&'static str>)> = LazyLock::new(|| {
    let mut labels: Vec<&'static str> = CATALOGUE
        .iter()
        .filter(|entry| entry.decision_type == DecisionType::Passed)
        .map(|entry| entry.label)
        .collect();
    labels.sort_unstable();
    labels.dedup();
    let mut capabilities: Vec<&'static str> =
        CATALOGUE.iter().map(|entry| entry.capability).collect();
    capabilities.sort_unstable();
    capabilities.dedup();
    (labels, capabilities)
});

/// Whether a PASSED finding's `label` is one Jumio passes checks with; `None`
/// when it is not and the capability is not catalogued either (then nothing
/// says what that capability's passes are called). A pass label of a sibling
/// (`OK` under similarity) still means "passed".
pub fn is_pass_label(capability: &str, label: &str) -> Option<bool> {
    let (labels, capabilities) = &*PASSES;
    if labels.contains(&label) {
        return Some(true);
    }
    capabilities.contains(&capability).then_some(false)
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
        // CHIP_MISSING and DIGITAL_MANIPULATION were data-check labels in
        // the guide's revisions of 14 to 17 January 2022, then image checks.
        assert_eq!(
            (
                count("dataChecks", Provenance::Current),
                count("dataChecks", Provenance::Legacy)
            ),
            (19, 5)
        );
        assert_eq!(count("watchlistScreening", Provenance::Current), 9);
    }

    #[test]
    fn every_entry_names_a_source_and_only_current_ones_cite_the_current_reference() {
        let current = [
            Source::CapabilityReference,
            Source::RiskSignalReference,
            Source::ReferenceSummary,
        ];
        for entry in CATALOGUE {
            assert!(!entry.sources.is_empty(), "{entry:?} has no source");
            let in_reference = entry.sources.iter().any(|source| current.contains(source));
            if entry.provenance == Provenance::Legacy {
                assert!(!in_reference, "{entry:?} is in the current reference");
            }
        }
    }

    #[test]
    fn labels_jumio_moved_keep_the_revisions_that_had_them() {
        for label in ["CHIP_MISSING", "DIGITAL_MANIPULATION"] {
            let moved = lookup("dataChecks", R, label).expect("listed under data checks");
            assert_eq!(moved.provenance, Provenance::Legacy);
            assert_eq!(
                moved.sources,
                [Source::ApiGuide {
                    first: "2022-01-14",
                    last: "2022-01-17"
                }]
            );
            let now = lookup("imageChecks", R, label).expect("now an image check");
            assert_eq!(now.provenance, Provenance::Current);
        }
        assert_eq!(
            Source::ApiGuide {
                first: "2022-01-14",
                last: "2022-01-17"
            }
            .describe(),
            "KYX API guide, revisions 2022-01-14 to 2022-01-17"
        );
    }

    #[test]
    fn the_readme_lists_every_label_outside_the_current_reference_with_its_sources() {
        let readme = include_str!("../README.md");
        let current = [
            Source::CapabilityReference,
            Source::RiskSignalReference,
            Source::ReferenceSummary,
        ];
        for entry in CATALOGUE
            .iter()
            .filter(|entry| !entry.sources.iter().any(|source| current.contains(source)))
        {
            let row = format!(
                "| `{}` | {} | `{}` |",
                entry.capability,
                entry.decision_type.name(),
                entry.label
            );
            let line = readme
                .lines()
                .find(|line| line.starts_with(&row))
                .unwrap_or_else(|| panic!("README has no row starting {row}"));
            for source in entry.sources {
                assert!(
                    line.contains(&source.describe()),
                    "README row {row} lacks {}",
                    source.describe()
                );
            }
        }
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
    fn a_pass_label_is_one_jumio_passes_checks_with() {
        assert_eq!(is_pass_label("similarity", "MATCH"), Some(true));
        assert_eq!(
            is_pass_label("liveness", "LIVENESS_UNDETERMINED"),
            Some(false)
        );
        assert_eq!(is_pass_label("liveness", "LIKELY_LIVE"), Some(false));
        // A sibling's pass label still says "passed".
        assert_eq!(is_pass_label("liveness", "MATCH"), Some(true));
        // An unknown capability: nothing says what its passes are called.
        assert_eq!(is_pass_label("documentProvenanceCheck", "GREEN"), None);
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
