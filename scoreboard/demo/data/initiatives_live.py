"""Four more hand-written initiatives, all live: the ninth to the twelfth built.

Warning signs set up here: ``fraud-signals`` went into production without its fallback gate
done (gates skipped), and the two owners of ``supplier-disputes`` describe it in words that
share nothing (vocabulary mismatch).
"""

from initiatives.models import BacklogStatus, Sourcing, Stage

from .plans import A, Dates, N, Plan, Profile, R, U, Workflow
from .when import MonthsAgo

LIVE_INITIATIVES = (
    Plan(
        code="fraud-signals",
        name="Fraud signal scoring",
        business_unit="Claims",
        process="Claims: spotting potentially fraudulent claims for investigation",
        stage=Stage.PRODUCTION,
        sourcing=Sourcing.PARTNER,
        sponsor="ceo",
        ops_lead="ops.claims",
        tech="Scores every claim for fraud indicators with the partner's network-analysis model and our own "
        "claim-history features, and sends high-scoring claims to the fraud analysts' review queue.",
        ops="Every claim gets a fraud score, and only high-scoring claims reach the fraud analysts' review "
        "queue, so analysts review fewer, better claims and honest customers are paid sooner.",
        investment=350_000,
        benefit=900_000,
        dates=Dates(started=MonthsAgo(17, 8), live=MonthsAgo(10, 18), planned=MonthsAgo(11, 1)),
        scope="All motor and home claims; commercial claims referred by handlers as today.",
        priorities=(4, 3, 3, 2, 4, 9500),
        backlog=(
            ("Write the fallback procedure for a model outage", BacklogStatus.IN_PROGRESS, 1),
            ("Retrain on the last two quarters", BacklogStatus.OPEN, 1),
            ("Show the top three reasons with each score", BacklogStatus.DONE, 2),
        ),
        workflow=Workflow(
            "Fraud referral",
            "Referrals come from scores instead of handlers' hunches; analysts see the reasons with each score.",
            75,
            before=(
                ("Handler spots a suspicious claim from experience", R, "Claims handler"),
                ("Handler emails the fraud team", R, "Claims handler"),
                ("Fraud analyst investigates the referral", U, "Fraud analyst"),
            ),
            after=(
                ("Model scores each claim", N, "Fraud model"),
                ("High scores land in the analysts' review queue", N, "Fraud model"),
                ("Analyst reviews the score's reasons and decides", A, "Fraud analyst"),
                ("Analyst investigates referred claims", U, "Fraud analyst"),
            ),
            roles=(
                ("Fraud analyst", 10, "Reading network evidence; recording why a score was dismissed."),
                ("Claims handler", 120, "What to tell a customer whose claim is held for review."),
            ),
        ),
        profile=Profile(
            weekly_cases=2200,
            adoption=(25, 80),
            cycle_hours=(120, 60),
            cost=(6.0, 4.1),
            error_pct=(5.5, 3.0),
            exception_share=(0.09, 0.05),
            uptime=99.5,
            health=(83, 86),
            roi_at_maturity=95,
            health_drifts=True,
        ),
        handcrafted=True,
        # Went live without its fallback procedure signed off: "gates skipped".
        fallback_done=False,
    ),
    Plan(
        code="supplier-disputes",
        name="Repair invoice dispute assistant",
        business_unit="Finance",
        process="Accounts payable: disputed garage and repairer invoices",
        stage=Stage.PRODUCTION,
        sourcing=Sourcing.BUILD,
        sponsor="cio",
        ops_lead="ops.claims",
        # The two owners describe it in words that share nothing: a warning sign.
        tech="Retrieval-augmented generation service: contract clauses and rate cards embedded into a vector "
        "index, a fine-tuned re-ranker and a hosted large language model behind the internal API gateway, "
        "with token-level tracing in the observability stack.",
        ops="Clears the pile of garage bills our payables clerks query over the phone, so repairers get paid "
        "within agreed terms and clerks stop chasing the same workshops every week.",
        investment=260_000,
        benefit=420_000,
        dates=Dates(started=MonthsAgo(12, 5), live=MonthsAgo(5, 20), planned=MonthsAgo(6, 1)),
        scope="Disputed invoices from approved repairers; glass and towing suppliers later.",
        priorities=(4, 3, 4, 4, 4, 2800),
        backlog=(
            ("Cite the rate card line in every proposal", BacklogStatus.DONE, 1),
            ("Weekly report of garages with repeated disputes", BacklogStatus.OPEN, 2),
            ("Handle VAT-only disputes", BacklogStatus.OPEN, 3),
        ),
        workflow=Workflow(
            "Settling disputed repair invoices",
            "Clerks review a proposed settlement with the contract and rate card cited, instead of phoning "
            "the garage about every difference.",
            70,
            before=(
                ("Clerk reads the invoice against the repair estimate", A, "Accounts payable clerk"),
                ("Clerk phones the garage about each difference", R, "Accounts payable clerk"),
                ("Supervisor approves the settled amount", U, "AP supervisor"),
            ),
            after=(
                ("Assistant compares invoice, estimate and rate card", N, "Dispute assistant"),
                ("Clerk reviews the proposed settlement", A, "Accounts payable clerk"),
                ("Garage receives a written explanation of differences", N, "Dispute assistant"),
                ("Supervisor approves the settled amount", U, "AP supervisor"),
            ),
            roles=(
                ("Accounts payable clerk", 16, "Reviewing proposed settlements and the cited rate card lines."),
                ("AP supervisor", 3, "Sampling settled disputes each week."),
            ),
        ),
        profile=Profile(
            weekly_cases=650,
            adoption=(20, 70),
            cycle_hours=(240, 72),
            cost=(38, 16),
            error_pct=(4.0, 2.2),
            exception_share=(0.25, 0.12),
            uptime=99.2,
            health=(78, 81),
            roi_at_maturity=70,
        ),
        handcrafted=True,
    ),
    Plan(
        code="call-summaries",
        name="Contact centre call summaries",
        business_unit="Customer Service",
        process="Contact centre: after-call work",
        stage=Stage.SCALED,
        sourcing=Sourcing.BUY,
        sponsor="cio",
        ops_lead="ops.service",
        tech="Transcribes contact centre calls and writes a short call summary with the customer's request and "
        "the agreed next steps into the policy record when the agent ends the call.",
        ops="When an agent ends a call, a short summary with the customer's request and the agreed next steps "
        "is already in the policy record, so after-call work shrinks and the next agent knows the history.",
        investment=300_000,
        benefit=950_000,
        dates=Dates(started=MonthsAgo(22, 9), live=MonthsAgo(16, 7), planned=MonthsAgo(17, 1)),
        scope="All inbound service and claims calls; outbound sales calls excluded.",
        priorities=(5, 5, 4, 4, 4, 60000),
        backlog=(
            ("Summaries for transferred calls", BacklogStatus.IN_PROGRESS, 2),
            ("Redact card numbers from transcripts", BacklogStatus.DONE, 1),
            ("Propose the follow-up task from the summary", BacklogStatus.DONE, 2),
        ),
        workflow=Workflow(
            "After-call work in the contact centre",
            "Agents check and correct a summary instead of typing notes; team leaders sample summaries.",
            90,
            before=(
                ("Agent types notes after the call", R, "Contact centre agent"),
                ("Agent sets a follow-up task", A, "Contact centre agent"),
                ("Team leader samples notes for quality", U, "Contact centre team leader"),
            ),
            after=(
                ("Summary written into the policy record", N, "Summary service"),
                ("Agent checks and corrects the summary", A, "Contact centre agent"),
                ("Follow-up task proposed from the summary", N, "Summary service"),
                ("Team leader samples summaries for quality", U, "Contact centre team leader"),
            ),
            roles=(
                ("Contact centre agent", 140, "Checking a summary in seconds; correcting next steps."),
                ("Contact centre team leader", 14, "Sampling summaries instead of notes."),
            ),
        ),
        profile=Profile(
            weekly_cases=14000,
            adoption=(30, 93),
            cycle_hours=(0.12, 0.04),
            cost=(3.4, 2.1),
            error_pct=(3.0, 1.4),
            exception_share=(0.07, 0.03),
            uptime=99.8,
            health=(86, 90),
            roi_at_maturity=150,
        ),
        handcrafted=True,
    ),
    Plan(
        code="email-reply-drafts",
        name="Customer email reply drafting",
        business_unit="Customer Service",
        process="Customer service: answering customer emails",
        stage=Stage.PRODUCTION,
        sourcing=Sourcing.BUY,
        sponsor="ceo",
        ops_lead="ops.service",
        tech="Drafts a reply to each customer email from the policy record, the claim status and approved "
        "wording, for the customer service agent to check, edit and send.",
        ops="Customer service agents start every customer email from a drafted reply built on the policy "
        "record, the claim status and approved wording, and check, edit and send it.",
        investment=210_000,
        benefit=480_000,
        dates=Dates(started=MonthsAgo(11, 2), live=MonthsAgo(7, 15), planned=MonthsAgo(8, 1)),
        scope="Emails to the customer service desk; complaints go to the complaints team unchanged.",
        priorities=(5, 4, 4, 3, 4, 17000),
        backlog=(
            ("Auto-send claim status updates", BacklogStatus.DONE, 1),
            ("Draft replies in Welsh", BacklogStatus.OPEN, 3),
            ("Measure how much agents edit each draft", BacklogStatus.IN_PROGRESS, 2),
        ),
        workflow=Workflow(
            "Answering customer emails",
            "Agents edit and send drafted replies; routine claim status emails go out without review.",
            75,
            before=(
                ("Agent reads the email and looks up the policy", A, "Email desk agent"),
                ("Agent writes the reply", R, "Email desk agent"),
                ("Team leader checks a sample", U, "Customer service team leader"),
            ),
            after=(
                ("Draft reply prepared with policy and claim status", N, "Reply service"),
                ("Agent checks, edits and sends", A, "Email desk agent"),
                ("Routine claim status emails sent without review", N, "Reply service"),
                ("Team leader checks a sample", U, "Customer service team leader"),
            ),
            roles=(
                ("Email desk agent", 45, "Editing drafts; recognising when to discard one."),
                ("Customer service team leader", 6, "Reviewing automatically sent status emails weekly."),
            ),
        ),
        profile=Profile(
            weekly_cases=4200,
            adoption=(20, 78),
            cycle_hours=(26, 7),
            cost=(5.8, 3.1),
            error_pct=(2.5, 1.8),
            exception_share=(0.10, 0.06),
            uptime=99.6,
            health=(83, 85),
            roi_at_maturity=90,
        ),
        handcrafted=True,
    ),
)
