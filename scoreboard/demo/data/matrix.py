"""The decision-authority matrix: version 1, in force for the last thirteen months, and the
draft of version 2 the COO's office is working on, for the compare page to show."""

from dataclasses import dataclass

from governance.models import AccountableExecutive, AuditTrail, AutonomyTier, BreachWhen

from .metrics import ADOPTION_KPI, PRIMARY_KPI


@dataclass(frozen=True)
class Rule:
    key: str
    process: str
    initiative: str | None
    decision: str
    tier: str
    confidence: float | None
    escalation: str
    accountable: str
    override: str
    audit: str
    # KPI code, breach threshold, above/below. A bound is never stricter than a target of its KPI
    # (governance.services.bounds): a figure that meets its target is never outside a bound.
    monitoring: tuple[str, float, str] | None


T_AUTO, T_NOTIFY, T_APPROVE, T_HUMAN = (
    AutonomyTier.AI_AUTONOMOUS,
    AutonomyTier.AI_NOTIFIES,
    AutonomyTier.HUMAN_APPROVES,
    AutonomyTier.HUMAN_ONLY,
)
ABOVE, BELOW = BreachWhen.ABOVE, BreachWhen.BELOW
MATRIX = (
    Rule(
        "claims-fast-track",
        "Claims intake",
        "claims-triage",
        "Send a simple glass or minor-damage claim straight to fast-track settlement",
        T_AUTO,
        0.92,
        "Claims team leader",
        AccountableExecutive.COO,
        "A team leader pulls the claim back from fast track and assigns a handler; the model's choice stays logged.",
        AuditTrail.SUMMARY,
        ("error-rate", 3.0, ABOVE),
    ),
    Rule(
        "claims-complexity-flag",
        "Claims intake",
        "claims-triage",
        "Mark a claim as complex or involving injury",
        T_NOTIFY,
        0.80,
        "Senior claims handler",
        AccountableExecutive.COO,
        "The senior handler removes the mark and records why; the claim returns to the normal queue.",
        AuditTrail.FULL,
        ("exception-rate", 0.12, ABOVE),
    ),
    Rule(
        "claims-initial-reserve",
        "Claims intake",
        "claims-triage",
        "Set the initial reserve on a new claim",
        T_APPROVE,
        0.70,
        "Claims reserving analyst",
        AccountableExecutive.JOINT,
        "The analyst changes the proposed reserve before it is booked; proposals outside the band go to the "
        "reserving committee.",
        AuditTrail.FULL_WITH_REVIEW,
        ("cycle-time", 24, ABOVE),
    ),
    Rule(
        "claims-decline-cover",
        "Claims intake",
        None,
        "Decline cover on a claim",
        T_HUMAN,
        None,
        "Claims technical manager",
        AccountableExecutive.COO,
        "Not delegated to AI: the technical manager decides and a second manager reviews every decline.",
        AuditTrail.FULL_WITH_REVIEW,
        None,
    ),
    Rule(
        "fraud-score-claim",
        "Fraud referral",
        "fraud-signals",
        "Score a claim for fraud indicators",
        T_AUTO,
        0.50,
        "Fraud analyst",
        AccountableExecutive.CIO,
        "An analyst can mark a score as wrong; marked scores feed the next retraining.",
        AuditTrail.FULL,
        ("ai-health-score", 70, BELOW),
    ),
    Rule(
        "fraud-refer-investigation",
        "Fraud referral",
        "fraud-signals",
        "Refer a claim to the special investigations unit",
        T_APPROVE,
        0.85,
        "Special investigations manager",
        AccountableExecutive.COO,
        "The manager rejects the referral and the claim goes back to its handler the same day.",
        AuditTrail.FULL_WITH_REVIEW,
        ("error-rate", 4.0, ABOVE),
    ),
    Rule(
        "fraud-hold-payment",
        "Fraud referral",
        None,
        "Hold a claim payment while fraud is investigated",
        T_HUMAN,
        None,
        "Head of claims",
        AccountableExecutive.CEO,
        "Only the head of claims holds a payment; holds longer than ten days are reported to the CEO.",
        AuditTrail.FULL_WITH_REVIEW,
        None,
    ),
    Rule(
        "email-draft-reply",
        "Customer correspondence",
        "email-reply-drafts",
        "Draft a reply to a customer email",
        T_APPROVE,
        0.60,
        "Customer service team leader",
        AccountableExecutive.COO,
        "The agent edits or discards the draft; nothing is sent without the agent pressing send.",
        AuditTrail.SUMMARY,
        (ADOPTION_KPI, 50, BELOW),
    ),
    Rule(
        "email-auto-status",
        "Customer correspondence",
        "email-reply-drafts",
        "Send a claim status update without review",
        T_AUTO,
        0.95,
        "Customer service team leader",
        AccountableExecutive.COO,
        "A team leader can stop automatic sending from the operations console in one click; replies then wait "
        "for an agent.",
        AuditTrail.FULL,
        ("error-rate", 2.5, ABOVE),
    ),
    Rule(
        "call-summary-file",
        "Customer correspondence",
        "call-summaries",
        "File the call summary to the policy record",
        T_NOTIFY,
        0.75,
        "Contact centre team leader",
        AccountableExecutive.CIO,
        "The agent corrects the summary within the day; corrections are sampled weekly.",
        AuditTrail.SUMMARY,
        ("production-reliability", 99.0, BELOW),
    ),
    Rule(
        "complaint-tag",
        "Customer correspondence",
        "complaint-classification",
        "Mark a message as a formal complaint",
        T_NOTIFY,
        0.70,
        "Complaints manager",
        AccountableExecutive.COO,
        "The complaints handler removes the mark with a reason; the deadline clock stops only then.",
        AuditTrail.FULL,
        ("error-rate", 2.0, ABOVE),
    ),
    Rule(
        "invoice-match-estimate",
        "Supplier invoices",
        "supplier-disputes",
        "Match a repair invoice to the approved estimate",
        T_AUTO,
        0.90,
        "AP supervisor",
        AccountableExecutive.CIO,
        "The supervisor unmatches the invoice and it joins the manual dispute queue.",
        AuditTrail.SUMMARY,
        (PRIMARY_KPI, 50, BELOW),
    ),
    Rule(
        "invoice-propose-settlement",
        "Supplier invoices",
        "supplier-disputes",
        "Propose a settlement for a disputed invoice",
        T_NOTIFY,
        0.65,
        "AP supervisor",
        AccountableExecutive.JOINT,
        "The clerk rejects the proposal and settles by hand; rejected proposals are reviewed monthly.",
        AuditTrail.SUMMARY,
        ("data-quality-score", 75, BELOW),
    ),
    Rule(
        "invoice-agree-settlement",
        "Supplier invoices",
        None,
        "Agree a final settlement with a garage",
        T_HUMAN,
        None,
        "Head of finance operations",
        AccountableExecutive.COO,
        "Not delegated to AI: settlements above the clerk's limit need the supervisor's approval.",
        AuditTrail.FULL,
        None,
    ),
)
# Matrix version 2 (a draft): what the COO's office is changing, for the compare page to show.
V2_CHANGE = {
    "key": "email-auto-status",
    "confidence": 0.97,
    "monitoring": ("error-rate", 2.0, ABOVE),
    "reason": "Two wrong status emails last quarter: raise the confidence bar and tighten the error-rate alarm to "
    "the target itself until the claim-status feed is reconciled daily. Complaint tags go back to a human's "
    "approval while the error rate is above its bound.",
}
# Complaint tagging's error rate runs at or above its 2 % bound: the draft moves it one tier toward human
# control, as the matrix suggests for a decision outside its bounds.
V2_TIER_CHANGES = {"complaint-tag": T_APPROVE}

V1_REASON = (
    "First matrix kept in the scoreboard, carried over from the spreadsheet the COO's office has kept "
    "since claims triage went live, with monitoring signals added for every delegated decision."
)
