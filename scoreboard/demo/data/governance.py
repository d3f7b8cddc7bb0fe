"""The rest of governance: the text of each governance gate, the shared-zone decisions the
CEO and the COO made together, the decision log (two requests overdue), the shadow-AI
register and the risk register. Initiatives are named by code; people by username."""

from governance.models import (
    DataSensitivity,
    DecisionAnswer,
    GateKind,
    RiskCategory,
    RiskStatus,
    ShadowAIStatus,
    SharedZoneTopic,
)

from .when import DaysAgo, MonthsAgo

# How each gate is checked: the same for every initiative.
GATE_TEXT = {
    GateKind.TESTING: "Offline test on a held-out set of recent cases, then a two-week shadow run against the "
    "decisions people made.",
    GateKind.MONITORING: "Alerts on confidence, volume, error rate and latency, wired to the on-call rota and the "
    "operations team leaders.",
    GateKind.FALLBACK: "A tested switch sends the work back to the manual queue; team leaders hold the staffing "
    "plan for a day without the model.",
}


# (topic, title, initiative, CEO input, COO input, joint decision, decided on)
SHARED_ZONE_DECISIONS = (
    (
        SharedZoneTopic.INVESTMENT_LEVEL,
        "AI programme budget for the next financial year",
        None,
        "Keep total spend flat and fund only initiatives whose workflow change is signed.",
        "Keep a reserve for reskilling: the claims teams moved faster than we budgeted for.",
        "€4.2m in total, of which €0.6m is ring-fenced for reskilling and change support.",
        MonthsAgo(3, 18),
    ),
    (
        SharedZoneTopic.TIMELINE,
        "Go-live window for broker submission intake",
        "broker-submission-intake",
        "Live before the January renewal season.",
        "Not during the renewal season: underwriters cannot learn a new workbench then.",
        "Pilot with two teams in the quieter spring quarter; full go-live after the renewals.",
        DaysAgo(12),
    ),
    (
        SharedZoneTopic.SUCCESS_METRICS,
        "Automated processing rate as the programme's heartbeat",
        None,
        "One number the board can follow every month.",
        "It must count work that really left the manual queue, not calls to a model.",
        "Primary KPI: share of cases processed end to end without anyone touching them, counted in the "
        "operations warehouse; the target rises half-way through the programme.",
        MonthsAgo(11, 20),
    ),
    (
        SharedZoneTopic.WORKFORCE_COMMITMENT,
        "Redeployment commitment for intake and filing roles",
        "policy-doc-indexing",
        "Say publicly that nobody loses their job to AI through next year.",
        "I can commit to redeployment, but the filing team needs a training budget before I promise dates.",
        "",
        None,
    ),
    (
        SharedZoneTopic.INVESTMENT_LEVEL,
        "Second year of the fraud model partnership",
        "fraud-signals",
        "Renew only if referral quality improves.",
        "The analysts rely on it; a gap would send us back to gut feel.",
        "Renew for one year with a break clause tied to the AI health score staying above 70.",
        MonthsAgo(5, 9),
    ),
)


# The COO's words approving v1, asked four days before it took effect; v2 waits for her answer.
V1_APPROVAL = "Approved: it writes down how the claims and service desks already work, and who answers for each call."
# The ops lead asking the CIO to scale policy-document indexing, and why.
SCALE_ASK = (
    "Running in production for months with monitoring and fallback checked; the branch network "
    "asks for the same search. Scaling means every region's documents, with the same gates."
)

# (question, initiative, asked by, executive asked, asked this many hours before "now",
# answered this many hours later, answer, note)
DECISION_REQUESTS = (
    # Open and overdue: waiting beyond the 24-hour target.
    (
        "Approve the fallback procedure for fraud signal scoring so the monitoring release can go ahead.",
        "fraud-signals",
        "ops.claims",
        "coo",
        74,
        None,
        "",
        "",
    ),
    (
        "Confirm that claim photos may go to the photo-assessment vendor under the existing data processing agreement.",
        None,
        "ops.claims",
        "cio",
        39,
        None,
        "",
        "",
    ),
    # Open, still within the target.
    (
        "Release the second tranche of the complaint classification budget.",
        "complaint-classification",
        "ops.service",
        "ceo",
        3,
        None,
        "",
        "",
    ),
    # Answered.
    (
        "Sign the deployment brief for broker submission intake.",
        "broker-submission-intake",
        "cio",
        "ceo",
        13 * 24 + 4,
        6,
        DecisionAnswer.APPROVED,
        "",
    ),
    (
        "Extend the subrogation pilot to the fleet book.",
        "subrogation-recovery",
        "ops.claims",
        "coo",
        20 * 24,
        20,
        DecisionAnswer.DEFERRED,
        "Wait for three months of pilot results first.",
    ),
    (
        "Switch off the website FAQ chatbot at the end of the quarter.",
        "web-faq-bot",
        "ops.service",
        "cio",
        262 * 24,
        30,
        DecisionAnswer.APPROVED,
        "Answered late: the request reached me during the board offsite.",
    ),
    (
        "Let the email desk send claim status updates without review.",
        "email-reply-drafts",
        "ops.service",
        "coo",
        180 * 24,
        10,
        DecisionAnswer.APPROVED,
        "Status updates only, and only above the matrix's confidence threshold.",
    ),
    (
        "Buy an enterprise licence for the writing assistant the complaints team already uses.",
        None,
        "ops.service",
        "cio",
        61 * 24,
        22,
        DecisionAnswer.REJECTED,
        "Covered by the email drafting product; we will not run a second tool for the same work.",
    ),
)


# (tool, team, use, why it helps, data sensitivity, status, initiative it was promoted to,
# discovered this many days ago)
SHADOW_AI_TOOLS = (
    (
        "ChatGPT (personal accounts)",
        "Customer service email desk",
        "Drafting replies to long customer emails.",
        "Agents wrote replies faster and in plainer language.",
        DataSensitivity.CONFIDENTIAL,
        ShadowAIStatus.ADOPTED,
        "email-reply-drafts",
        430,
    ),
    (
        "Meeting transcription app",
        "Commercial underwriting",
        "Notes of broker calls and risk meetings.",
        "Underwriters stopped typing notes during calls.",
        DataSensitivity.CONFIDENTIAL,
        ShadowAIStatus.REPLACED,
        "call-summaries",
        520,
    ),
    (
        "Free online translator",
        "Claims cross-border desk",
        "Translating foreign police and repair reports.",
        "Claims abroad no longer waited a week for a translator.",
        DataSensitivity.RESTRICTED,
        ShadowAIStatus.BLOCKED,
        None,
        300,
    ),
    (
        "Spreadsheet add-in with a language model",
        "Finance accounts payable",
        "Suggesting ledger codes for supplier invoices.",
        "Month-end coding took a day less.",
        DataSensitivity.INTERNAL,
        ShadowAIStatus.UNDER_REVIEW,
        None,
        45,
    ),
    (
        "Writing assistant browser extension",
        "Complaints team",
        "Checking the tone of final response letters.",
        "Fewer letters sent back by the quality check.",
        DataSensitivity.CONFIDENTIAL,
        ShadowAIStatus.REPLACED,
        "email-reply-drafts",
        210,
    ),
    (
        "AI search engine",
        "Pricing analysts",
        "Researching competitors' published rates and market news.",
        "Research for pricing reviews takes hours instead of days.",
        DataSensitivity.PUBLIC,
        ShadowAIStatus.UNDER_REVIEW,
        None,
        20,
    ),
    (
        "Damage estimate phone app",
        "Home claims field adjusters",
        "Estimating repair costs from photos on site.",
        "Adjusters gave customers a figure during the visit.",
        DataSensitivity.RESTRICTED,
        ShadowAIStatus.BLOCKED,
        None,
        150,
    ),
)


# (title, category, description, preventive measures, responsive measures, likelihood,
# impact, status, initiatives)
RISKS = (
    (
        "Prompt injection through inbound customer emails",
        RiskCategory.CYBER,
        "A crafted email could steer reply drafting into revealing policy details or promising what we do not offer.",
        "Instructions in quoted text are stripped; the model sees only the sender's own policy; automatic "
        "sending is limited to claim status updates.",
        "Switch drafting to manual from the operations console and review every reply sent in the window.",
        3,
        4,
        RiskStatus.OPEN,
        ("email-reply-drafts", "complaint-classification"),
    ),
    (
        "Injury details in claims sent to an outside model",
        RiskCategory.PRIVACY,
        "Customers' own descriptions of a claim can hold health details about them or third parties.",
        "Health terms are masked before text leaves our network; the vendor contract forbids training on our data.",
        "Tell the data protection officer within 24 hours and have the vendor purge its logs under the contract.",
        2,
        5,
        RiskStatus.MITIGATED,
        ("claims-triage", "fraud-signals"),
    ),
    (
        "A challenged fraud referral cannot be explained",
        RiskCategory.COMPLIANCE,
        "A customer or the ombudsman asks why a claim was investigated and the score alone cannot say.",
        "Every score keeps its top reasons; analysts record why they referred or dismissed a claim.",
        "The claims technical manager re-decides the case by hand without the score.",
        3,
        4,
        RiskStatus.OPEN,
        ("fraud-signals",),
    ),
    (
        "Model service outage stalls claims intake",
        RiskCategory.OPERATIONAL_DISRUPTION,
        "New claims pile up unsorted if the triage or summary service is down.",
        "Two hosting regions; load tests before each release.",
        "The manual triage queue takes over within fifteen minutes; team leaders hold the switch.",
        2,
        4,
        RiskStatus.MITIGATED,
        ("claims-triage", "call-summaries"),
    ),
    (
        "Automatic status emails break complaint-handling rules",
        RiskCategory.COMPLIANCE,
        "A status email sent automatically in reply to what is really a complaint.",
        "Messages that look like complaints never get an automatic reply; team leaders sample weekly.",
        "Stop automatic sending, contact the customers affected and log each case as a complaint.",
        2,
        3,
        RiskStatus.OPEN,
        ("email-reply-drafts",),
    ),
    (
        "Broker data pasted into unsanctioned tools abroad",
        RiskCategory.PRIVACY,
        "Underwriters paste submission details into tools that store data outside the EU.",
        "The shadow-AI register is reviewed every quarter and sanctioned alternatives are offered.",
        "Block the tool at the proxy and ask the vendor to delete the data.",
        4,
        3,
        RiskStatus.OPEN,
        ("broker-submission-intake",),
    ),
    (
        "Garage payments late when disputes are misrouted",
        RiskCategory.OPERATIONAL_DISRUPTION,
        "A dispute routed to the wrong queue misses the payment run.",
        "The dispute queue is reconciled daily against the payment run.",
        "Clerks work the queue by hand and the supervisor authorises interim payments.",
        2,
        2,
        RiskStatus.CLOSED,
        ("supplier-disputes",),
    ),
)
