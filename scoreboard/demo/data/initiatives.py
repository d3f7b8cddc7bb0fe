"""The twelve hand-written initiatives, in the order they are built. The first eight cover
every stage, one each (``--initiatives 8`` still shows the whole lifecycle); the four in
``initiatives_live`` are in production or scaled, and two of them set up warning signs.

Warning signs set up here: ``policy-doc-indexing`` is in production with a workflow change
whose adoption nobody measures (AI in production, work unchanged).
"""

from initiatives.models import BacklogStatus, Sourcing, Stage

from .initiatives_live import LIVE_INITIATIVES
from .plans import A, Dates, N, Plan, Profile, R, U, Workflow
from .when import DaysAgo, MonthsAgo, MonthsAhead

# Every deployment brief, draft or signed, says the same about governance.
BRIEF_GOVERNANCE = (
    "Decisions follow the published decision-authority matrix; testing, monitoring and fallback "
    "gates checked before production; monthly review at the ExCo on the shared scoreboard."
)

STAGE_TOUR = (
    Plan(
        code="claims-triage",
        name="Claims intake triage",
        business_unit="Claims",
        process="Motor and home claims: first notification of loss to handler assignment",
        stage=Stage.SCALED,
        sourcing=Sourcing.BUILD,
        sponsor="ceo",
        ops_lead="ops.claims",
        tech="Classifies each new motor and home claim at first notification by severity and complexity, "
        "with a gradient-boosted model on the claim form and a language model on the customer's own "
        "description, and routes the claim to the right claims handler queue.",
        ops="Every new motor and home claim is triaged by severity and complexity the moment it is "
        "notified, so simple claims go straight to the fast-track queue and complex ones reach an "
        "experienced claims handler on the first day.",
        investment=420_000,
        benefit=1_100_000,
        dates=Dates(started=MonthsAgo(29, 6), live=MonthsAgo(20, 14), planned=MonthsAgo(22, 1)),
        scope="Triage of every new motor and home claim at first notification; commercial claims stay "
        "with the existing team until the second year.",
        priorities=(5, 4, 4, 3, 5, 9500),
        backlog=(
            ("Show why the model chose a severity in the handler screen", BacklogStatus.OPEN, 1),
            ("Add windscreen-only claims to the fast track", BacklogStatus.IN_PROGRESS, 2),
            ("Retrain on last winter's storm claims", BacklogStatus.DONE, 3),
            ("Claim forms in Welsh", BacklogStatus.OPEN, 4),
        ),
        workflow=Workflow(
            "Claims first notification to handler assignment",
            "Team leaders no longer read and sort every new claim. The model sorts; team leaders check the "
            "claims it is unsure about, and intake clerks move to fast-track settlement.",
            85,
            before=(
                ("Customer reports the claim by phone or web form", U, "Customer / contact centre"),
                ("Intake clerk re-keys the claim into the claims system", R, "Intake clerk"),
                ("Team leader reads each claim and judges its severity", R, "Claims team leader"),
                ("Team leader assigns the claim to a handler's queue", A, "Claims team leader"),
                ("Handler calls the customer for missing details", U, "Claims handler"),
            ),
            after=(
                ("Customer reports the claim by phone or web form", U, "Customer / contact centre"),
                ("Model scores severity and complexity and picks the queue", N, "Triage model"),
                ("Simple claims go to fast-track settlement", N, "Triage model"),
                ("Team leader reviews the claims the model was unsure about", A, "Claims team leader"),
                ("Handler calls the customer with the gaps already listed", A, "Claims handler"),
            ),
            roles=(
                ("Intake clerk", 14, "Moved to fast-track settlement; two-week course on settlement limits."),
                ("Claims team leader", 9, "Reading model confidence and overriding a route; monthly calibration."),
                ("Claims handler", 120, "Working from the gap list the model prepares before the first call."),
            ),
        ),
        profile=Profile(
            weekly_cases=2200,
            adoption=(22, 88),
            cycle_hours=(52, 9),
            cost=(18.5, 7.2),
            error_pct=(3.8, 1.6),
            exception_share=(0.16, 0.06),
            uptime=99.7,
            health=(82, 88),
            roi_at_maturity=135,
        ),
        handcrafted=True,
    ),
    Plan(
        code="policy-doc-indexing",
        name="Policy document indexing",
        business_unit="Commercial Underwriting",
        process="Commercial policies: filing incoming documents for underwriters",
        stage=Stage.PRODUCTION,
        sourcing=Sourcing.BUY,
        sponsor="cio",
        ops_lead=None,
        tech="Reads incoming commercial policy documents, extracts the insured, the policy number and the "
        "document type, and files each document to the right policy record.",
        ops="Incoming commercial policy documents are filed to the right policy record with the insured "
        "and the document type, so underwriters find a document without asking the filing team.",
        investment=160_000,
        benefit=240_000,
        dates=Dates(started=MonthsAgo(9, 3), live=MonthsAgo(4, 10), planned=MonthsAgo(5, 1)),
        scope="Indexing of documents for the commercial property and liability books; motor fleet later.",
        priorities=(3, 5, 4, 4, 3, 12000),
        backlog=(
            ("Recognise broker schedules as their own document type", BacklogStatus.OPEN, 2),
            ("Bulk re-index of the 2019–2022 archive", BacklogStatus.IN_PROGRESS, 3),
            ("Search by insured's trading name", BacklogStatus.OPEN, 3),
        ),
        workflow=Workflow(
            "Filing incoming commercial policy documents",
            "The filing team checks the model's match instead of filing by hand; underwriters search the "
            "policy record themselves.",
            70,
            before=(
                ("Post room scans the documents", U, "Post room"),
                ("Filing clerk reads each document and finds the policy", R, "Filing clerk"),
                ("Underwriter emails the filing team to find a document", R, "Commercial underwriter"),
            ),
            after=(
                ("Post room scans the documents", U, "Post room"),
                ("Model indexes and files the document", N, "Indexing service"),
                ("Filing clerk checks low-confidence matches", A, "Filing clerk"),
                ("Underwriter searches the policy record", N, "Commercial underwriter"),
            ),
            roles=(
                ("Filing clerk", 11, "Working the review queue of low-confidence matches."),
                ("Commercial underwriter", 34, "Searching the indexed record instead of asking for documents."),
            ),
        ),
        profile=Profile(
            weekly_cases=3100,
            adoption=(0, 0),
            cycle_hours=(30, 4),
            cost=(2.1, 0.9),
            error_pct=(2.5, 1.2),
            exception_share=(0.12, 0.07),
            uptime=99.4,
            health=(80, 82),
            roi_at_maturity=60,
        ),
        handcrafted=True,
        # In production with a workflow change, but nobody measures whether the work changed.
        measure_adoption=False,
    ),
    Plan(
        code="subrogation-recovery",
        name="Subrogation recovery finder",
        business_unit="Claims",
        process="Motor claims: recovering costs from at-fault third parties",
        stage=Stage.PILOT,
        sourcing=Sourcing.PARTNER,
        sponsor="ceo",
        ops_lead="ops.claims",
        tech="Scans settled motor claims for signs that a third party was at fault and ranks the recovery "
        "opportunities for the recoveries team, using the partner's liability model.",
        ops="Finds settled motor claims where a third party was at fault and gives the recoveries team a "
        "ranked list, so fewer recovery opportunities expire unclaimed.",
        investment=190_000,
        benefit=520_000,
        dates=Dates(started=MonthsAgo(8, 4), pilot=MonthsAgo(3, 2), planned=MonthsAhead(2)),
        scope="Pilot on settled private motor claims from the last three years; fleet claims excluded.",
        priorities=(4, 3, 3, 4, 4, 1800),
        backlog=(
            ("Read police report references from the claim notes", BacklogStatus.IN_PROGRESS, 1),
            ("Letter templates for the three largest insurers", BacklogStatus.OPEN, 2),
            ("Track recovered amounts against the ranking", BacklogStatus.OPEN, 2),
        ),
        workflow=Workflow(
            "Finding and pursuing recoveries",
            "Recovery handlers work a ranked list instead of sampling settled claims by hand.",
            60,
            before=(
                ("Recoveries team samples settled claims by hand", R, "Recovery handler"),
                ("Handler judges whether a third party was at fault", A, "Recovery handler"),
                ("Recovery letter drafted and sent", U, "Recovery handler"),
            ),
            after=(
                ("Model ranks settled claims by chance of recovery", N, "Liability model"),
                ("Handler confirms fault from the ranked list", A, "Recovery handler"),
                ("Recovery letter drafted and sent", U, "Recovery handler"),
            ),
            roles=(("Recovery handler", 8, "Working a ranked list; reading the fault indicators."),),
        ),
        profile=Profile(
            weekly_cases=400,
            adoption=(10, 55),
            cycle_hours=(96, 40),
            cost=(35, 22),
            error_pct=(4.0, 3.0),
            exception_share=(0.20, 0.14),
            uptime=98.9,
            health=(72, 76),
            roi_at_maturity=0,
        ),
        handcrafted=True,
    ),
    Plan(
        code="complaint-classification",
        name="Complaint classification",
        business_unit="Customer Service",
        process="Customer service: recognising and routing formal complaints",
        stage=Stage.BUILDING,
        sourcing=Sourcing.BUILD,
        sponsor="ceo",
        ops_lead="ops.service",
        tech="Classifies inbound customer emails and web messages as formal complaints or routine queries and "
        "routes each complaint to the complaints team with its regulatory deadline attached.",
        ops="Every inbound customer email or web message that is a formal complaint is recognised and routed "
        "to the complaints team on the day it arrives, with its regulatory deadline attached.",
        investment=140_000,
        benefit=210_000,
        dates=Dates(started=MonthsAgo(4, 7), planned=MonthsAhead(3)),
        scope="Emails and web messages to customer service; phone complaints stay with the agents.",
        priorities=(4, 4, 4, 3, 3, 2600),
        backlog=(
            ("Labelled set of 5,000 past messages", BacklogStatus.DONE, 1),
            ("Deadline calculation for each complaint type", BacklogStatus.IN_PROGRESS, 1),
            ("Route complaints about the chatbot's successor separately", BacklogStatus.OPEN, 3),
        ),
        workflow=Workflow(
            "Recognising formal complaints",
            "Agents stop deciding message by message whether something is a complaint; complaints handlers "
            "confirm the model's call.",
            80,
            before=(
                ("Agent reads the message and decides if it is a complaint", R, "Customer service agent"),
                ("Agent forwards complaints to the complaints inbox", R, "Customer service agent"),
                ("Complaints team logs the deadline", U, "Complaints handler"),
            ),
            after=(
                ("Model classifies the message and routes complaints", N, "Complaint classifier"),
                ("Complaints handler confirms the classification", A, "Complaints handler"),
                ("Deadline set automatically in the case system", N, "Case system"),
            ),
            roles=(
                ("Customer service agent", 65, "Spotting the messages the model marks as uncertain."),
                ("Complaints handler", 12, "Confirming or correcting classifications."),
            ),
        ),
        handcrafted=True,
    ),
    Plan(
        code="broker-submission-intake",
        name="Broker submission intake",
        business_unit="Commercial Underwriting",
        process="Commercial lines: broker submissions to underwriter quote",
        stage=Stage.BRIEF_SIGNED,
        sourcing=Sourcing.PARTNER,
        sponsor="ceo",
        ops_lead=None,
        tech="Extracts risk details, schedules and loss history from broker submission packs into the "
        "underwriting workbench and marks missing information for the underwriter.",
        ops="Broker submission packs arrive in the underwriting workbench with risk details, schedules and "
        "loss history extracted, and underwriters see missing information before they start a quote.",
        investment=380_000,
        benefit=650_000,
        dates=Dates(brief=DaysAgo(12), planned=MonthsAhead(7)),
        scope="Property and liability submissions from the twenty largest brokers.",
        priorities=(5, 3, 3, 3, 4, 1400),
        backlog=(
            ("Agree the extraction fields with the underwriting leads", BacklogStatus.IN_PROGRESS, 1),
            ("Sample of 300 submission packs for testing", BacklogStatus.OPEN, 1),
            ("Data-sharing terms with the partner", BacklogStatus.OPEN, 2),
        ),
        workflow=Workflow(
            "Broker submission to quote",
            "Underwriting assistants check extracted fields instead of re-keying whole packs.",
            65,
            before=(
                ("Underwriting assistant re-keys the submission", R, "Underwriting assistant"),
                ("Underwriter chases missing loss history", A, "Commercial underwriter"),
                ("Underwriter prices and quotes", U, "Commercial underwriter"),
            ),
            after=(
                ("Model extracts the submission into the workbench", N, "Extraction service"),
                ("Assistant checks the extracted fields", A, "Underwriting assistant"),
                ("Broker gets an automatic request for missing information", N, "Extraction service"),
                ("Underwriter prices and quotes", U, "Commercial underwriter"),
            ),
            roles=(
                ("Underwriting assistant", 18, "Checking extracted fields instead of re-keying."),
                ("Commercial underwriter", 34, "Reading the extraction's confidence marks."),
            ),
        ),
        handcrafted=True,
    ),
    Plan(
        code="premium-payment-matching",
        name="Premium payment matching",
        business_unit="Finance",
        process="Finance: matching incoming premium payments to policies",
        stage=Stage.ASSESSED,
        sourcing=Sourcing.BUY,
        sponsor="cio",
        ops_lead=None,
        tech="Matches incoming bank transfers to policies and instalments from payer names, references and "
        "amounts, and proposes a match for the unmatched payments the rules engine leaves behind.",
        ops="Incoming premium payments the rules engine leaves unmatched get a proposed policy match, so the "
        "cash allocation team clears unmatched payments in days instead of weeks.",
        investment=90_000,
        benefit=180_000,
        dates=Dates(planned=MonthsAhead(11)),
        scope="Bank transfers the rules engine cannot match; card and direct debit payments excluded.",
        priorities=(3, 4, 5, 4, 5, 6500),
        backlog=(
            ("Shortlist two vendors", BacklogStatus.IN_PROGRESS, 1),
            ("Measure today's unmatched backlog", BacklogStatus.DONE, 2),
        ),
        workflow=Workflow(
            "Allocating unmatched premium payments",
            "Clerks confirm proposed matches instead of investigating each payment from scratch.",
            70,
            before=(
                ("Rules engine matches payments with exact references", U, "Rules engine"),
                ("Clerk investigates each unmatched payment", A, "Cash allocation clerk"),
                ("Clerk writes to the payer", U, "Cash allocation clerk"),
            ),
            after=(
                ("Rules engine matches payments with exact references", U, "Rules engine"),
                ("Model proposes a match for the rest", N, "Matching service"),
                ("Clerk confirms or rejects the proposal", A, "Cash allocation clerk"),
            ),
            roles=(("Cash allocation clerk", 7, "Judging proposed matches; spotting duplicate payers."),),
        ),
        handcrafted=True,
    ),
    Plan(
        code="vulnerable-customer-signals",
        name="Vulnerable customer signals",
        business_unit="Customer Service",
        process="Customer service: recognising customers who need extra care",
        stage=Stage.IDEA,
        sourcing=Sourcing.BUILD,
        sponsor="ceo",
        ops_lead="ops.service",
        tech="Spots signs in call transcripts and messages that a customer may need extra care, such as "
        "bereavement or financial difficulty, and prompts the agent with the extra-care options.",
        ops="Agents are prompted when a customer on a call or in a message shows signs of needing extra "
        "care, such as bereavement or financial difficulty, and see the extra-care options at once.",
        investment=120_000,
        benefit=60_000,
        dates=Dates(),
        scope="Calls and messages to customer service.",
        priorities=(4, 2, 2, 2, 2, 30000),
        backlog=(("Ask the conduct team which signs matter most", BacklogStatus.OPEN, 1),),
        handcrafted=True,
    ),
    Plan(
        code="web-faq-bot",
        name="Website FAQ chatbot",
        business_unit="Customer Service",
        process="Self-service: answering policy questions on the website",
        stage=Stage.RETIRED,
        sourcing=Sourcing.BUY,
        sponsor="cio",
        ops_lead="ops.service",
        tech="A scripted chatbot on the website that answered common policy questions from a fixed FAQ set "
        "and handed the customer to a live agent when it could not answer.",
        ops="The website chatbot answered common policy questions from the FAQ set and handed customers to a "
        "live agent when it could not answer; switched off because most chats ended with a handover.",
        investment=60_000,
        benefit=90_000,
        dates=Dates(
            started=MonthsAgo(40, 3), live=MonthsAgo(34, 12), planned=MonthsAgo(35, 1), retired=MonthsAgo(8, 27)
        ),
        scope="Website questions about cover, documents and payments.",
        priorities=(3, 4, 4, 5, 2, 20000),
        backlog=(
            ("Archive chat transcripts under the retention policy", BacklogStatus.DONE, 1),
            ("Hand the FAQ set to the email drafting team", BacklogStatus.DONE, 2),
            ("Add claims status questions", BacklogStatus.DROPPED, 3),
        ),
        workflow=Workflow(
            "Answering policy questions from the website",
            "Simple questions answered by the bot; agents pick up handovers with the chat history.",
            40,
            before=(
                ("Customer phones with a policy question", A, "Customer"),
                ("Agent looks up the answer and replies", U, "Contact centre agent"),
            ),
            after=(
                ("Chatbot answers from the FAQ set", N, "FAQ chatbot"),
                ("Handover to a live agent with the chat history", N, "Contact centre agent"),
            ),
            roles=(("Contact centre agent", 40, "Picking up chat handovers."),),
        ),
        profile=Profile(
            weekly_cases=5000,
            adoption=(15, 32),
            cycle_hours=(2.0, 1.5),
            cost=(4.2, 3.9),
            error_pct=(6.0, 5.5),
            exception_share=(0.45, 0.40),
            uptime=99.0,
            health=(66, 61),
            roi_at_maturity=35,
        ),
        handcrafted=True,
    ),
)

INITIATIVES = STAGE_TOUR + LIVE_INITIATIVES
