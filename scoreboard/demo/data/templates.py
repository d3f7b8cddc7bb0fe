"""Templates for the initiatives beyond the twelve hand-written ones (benchmark-sized
companies): each template is used in turn, once per region or book in VARIANTS, and the
stage of each is drawn with EXTRA_STAGE_WEIGHTS."""

from dataclasses import dataclass

from initiatives.models import Stage

from .plans import A, N, R, U, Workflow


@dataclass(frozen=True)
class Template:
    slug: str
    name: str
    business_unit: str
    process: str
    tech: str
    ops: str
    workflow: Workflow
    backlog: tuple[str, ...]


TEMPLATES = (
    Template(
        "claims-mail-sorting",
        "Claims correspondence sorting",
        "Claims",
        "Claims: sorting inbound claim correspondence",
        "Sorts inbound claim correspondence by claim number and document type and attaches each letter, "
        "invoice or report to the right claim file.",
        "Inbound claim correspondence is sorted by claim number and document type, and each letter, invoice or "
        "report is on the right claim file before handlers open it.",
        Workflow(
            "Sorting inbound claim correspondence",
            "The model attaches post to claim files; the post team handles only what it cannot place.",
            80,
            before=(
                ("Post team opens and scans the correspondence", U, "Post team"),
                ("Post team finds the claim and attaches the item", R, "Post team"),
                ("Handler reads the item and decides what to do", U, "Claims handler"),
            ),
            after=(
                ("Post team scans the correspondence", U, "Post team"),
                ("Model reads the item and attaches it to the claim", N, "Sorting model"),
                ("Post team places the items the model could not", A, "Post team"),
                ("Handler reads the item and decides what to do", U, "Claims handler"),
            ),
            roles=(("Post team member", 12, "Working the queue of items the model could not place."),),
        ),
        (
            "Recognise medical reports from the new provider",
            "Split envelopes that hold several claims",
            "Show sorting confidence on the claim file",
        ),
    ),
    Template(
        "broker-email-routing",
        "Broker email routing",
        "Commercial Underwriting",
        "Commercial lines: routing broker emails to underwriting teams",
        "Reads broker emails and attachments, recognises the product line and the request type, and routes each "
        "email to the right underwriting team's queue.",
        "Broker emails reach the right underwriting team's queue by product line and request type, so "
        "underwriters stop forwarding emails between teams.",
        Workflow(
            "Routing broker emails",
            "Assistants handle only the emails the model cannot route.",
            75,
            before=(
                ("Assistant watches the shared mailbox", R, "Underwriting assistant"),
                ("Assistant forwards each email to a team", R, "Underwriting assistant"),
                ("Underwriter answers the broker", U, "Commercial underwriter"),
            ),
            after=(
                ("Model routes each email to a team queue", N, "Routing model"),
                ("Assistant checks the emails the model could not route", A, "Underwriting assistant"),
                ("Underwriter answers the broker", U, "Commercial underwriter"),
            ),
            roles=(("Underwriting assistant", 9, "Handling unrouted emails and correcting routes."),),
        ),
        ("Recognise mid-term adjustment requests", "Route by broker tier", "Weekly misroute report"),
    ),
    Template(
        "home-photo-triage",
        "Home claims photo triage",
        "Claims",
        "Home claims: assessing damage photos",
        "Assesses photos of home damage sent with a claim, estimates the repair category and decides whether a "
        "loss adjuster visit is needed.",
        "Photos of home damage sent with a claim are assessed for the repair category, and a loss adjuster visit "
        "is booked only when the damage needs one.",
        Workflow(
            "Assessing home damage",
            "Loss adjusters visit only complex damage; handlers confirm the photo assessment for the rest.",
            70,
            before=(
                ("Loss adjuster visits every claim above the limit", R, "Loss adjuster"),
                ("Adjuster writes the damage report", A, "Loss adjuster"),
                ("Handler books the repairer", U, "Claims handler"),
            ),
            after=(
                ("Model assesses the damage photos", N, "Photo model"),
                ("Handler confirms the repair category", A, "Claims handler"),
                ("Adjuster visits only complex damage", U, "Loss adjuster"),
                ("Handler books the repairer", U, "Claims handler"),
            ),
            roles=(("Loss adjuster", 22, "Reviewing photo assessments remotely."),),
        ),
        ("Ask customers for a second photo angle", "Detect reused photos", "Storm surge mode"),
    ),
    Template(
        "renewal-letter-checks",
        "Renewal letter checks",
        "Customer Service",
        "Personal lines: checking renewal letters before they are sent",
        "Checks each renewal letter against the policy record for wrong premiums, missing cover and unclear "
        "wording before the letter is sent.",
        "Each renewal letter is checked against the policy record for wrong premiums, missing cover and unclear "
        "wording before it is sent, instead of a team sampling letters by hand.",
        Workflow(
            "Checking renewal letters",
            "Every letter is checked; checkers correct the flagged ones before sending.",
            85,
            before=(
                ("Team samples renewal letters by hand", R, "Renewals checker"),
                ("Wrong letters corrected and sent again", U, "Renewals checker"),
            ),
            after=(
                ("Model checks every renewal letter", N, "Letter checker"),
                ("Checker corrects flagged letters before sending", A, "Renewals checker"),
                ("Monthly sample of passed letters", U, "Quality team"),
            ),
            roles=(("Renewals checker", 6, "Correcting flagged letters; tuning the wording rules."),),
        ),
        ("Flag price rises above the fair-value limit", "Check Welsh-language letters", "Plain-language score"),
    ),
    Template(
        "arrears-outreach",
        "Premium arrears outreach",
        "Finance",
        "Finance: contacting customers who missed a premium payment",
        "Picks the best time and channel to contact each customer who missed a premium payment and drafts the "
        "reminder from approved wording.",
        "Customers who missed a premium payment are contacted at the best time and channel with a reminder "
        "drafted from approved wording, so fewer policies lapse.",
        Workflow(
            "Chasing missed premium payments",
            "Reminders go out daily by the best channel; clerks phone only the customers the model flags.",
            75,
            before=(
                ("Arrears list exported every Monday", R, "Credit control clerk"),
                ("Clerk phones customers in list order", A, "Credit control clerk"),
                ("Lapse letter sent after 30 days", U, "Policy system"),
            ),
            after=(
                ("Model ranks the arrears list daily", N, "Outreach model"),
                ("Reminder sent by the chosen channel", N, "Outreach model"),
                ("Clerk phones the customers the model flags", A, "Credit control clerk"),
                ("Lapse letter sent after 30 days", U, "Policy system"),
            ),
            roles=(("Credit control clerk", 8, "Handling flagged customers, including those in difficulty."),),
        ),
        ("Respect contact preferences from the portal", "Pause outreach after a bereavement", "Report lapses avoided"),
    ),
    Template(
        "invoice-coding",
        "Supplier invoice coding",
        "Finance",
        "Accounts payable: coding supplier invoices",
        "Reads supplier invoices and proposes the cost centre, general ledger code and VAT treatment for each "
        "invoice line.",
        "Supplier invoices arrive in accounts payable with a proposed cost centre, general ledger code and VAT "
        "treatment on each line, so clerks check the coding instead of keying it.",
        Workflow(
            "Coding supplier invoices",
            "Clerks check proposed coding instead of keying every line.",
            80,
            before=(
                ("Clerk keys every invoice line", R, "Accounts payable clerk"),
                ("Budget holder approves", U, "Budget holder"),
            ),
            after=(
                ("Model proposes the coding", N, "Coding model"),
                ("Clerk checks the proposed coding", A, "Accounts payable clerk"),
                ("Budget holder approves", U, "Budget holder"),
            ),
            roles=(("Accounts payable clerk", 10, "Checking proposed coding; spotting VAT exceptions."),),
        ),
        ("Learn the new cost centre structure", "Handle credit notes", "Warn about duplicate invoices"),
    ),
    Template(
        "address-change",
        "Address change handling",
        "Customer Service",
        "Customer service: address change requests",
        "Reads address change requests from email and the portal, updates the policy record and works out "
        "whether the new address changes the premium.",
        "Address change requests from email and the portal update the policy record straight away, and the agent "
        "calls only when the new address changes the premium.",
        Workflow(
            "Handling address changes",
            "Records update themselves; agents call only about premium changes.",
            85,
            before=(
                ("Agent reads the request", R, "Customer service agent"),
                ("Agent re-keys the address", R, "Customer service agent"),
                ("Agent requotes the premium", A, "Customer service agent"),
            ),
            after=(
                ("Model reads the request and updates the record", N, "Change service"),
                ("Premium change calculated", N, "Rating engine"),
                ("Agent calls when the premium changes", A, "Customer service agent"),
            ),
            roles=(("Customer service agent", 30, "Explaining premium changes caused by a move."),),
        ),
        ("Check addresses against the postal file", "Handle moves abroad", "Confirm changes by text message"),
    ),
    Template(
        "referral-summaries",
        "Underwriting referral summaries",
        "Commercial Underwriting",
        "Commercial lines: referring risks above authority",
        "Writes a one-page summary of each risk an underwriter refers above their authority, with the exposures, "
        "the loss history and the question to decide.",
        "Each risk an underwriter refers above their authority comes with a one-page summary of the exposures, "
        "the loss history and the question to decide, so senior underwriters decide the same day.",
        Workflow(
            "Referring risks above authority",
            "Senior underwriters decide from a summary; underwriters check it before sending.",
            70,
            before=(
                ("Underwriter writes a referral email", R, "Commercial underwriter"),
                ("Senior underwriter reads the full file", A, "Senior underwriter"),
                ("Decision recorded", U, "Senior underwriter"),
            ),
            after=(
                ("Model writes the referral summary", N, "Summary model"),
                ("Underwriter checks and sends the summary", A, "Commercial underwriter"),
                ("Senior underwriter decides from the summary", A, "Senior underwriter"),
                ("Decision recorded", U, "Senior underwriter"),
            ),
            roles=(
                ("Senior underwriter", 7, "Deciding from summaries; knowing when to open the full file."),
                ("Commercial underwriter", 34, "Checking summaries before sending them."),
            ),
        ),
        ("Include reinsurance limits", "Track referral decision times", "Summaries for renewals"),
    ),
)

VARIANTS = ("North region", "South region", "Benelux", "Nordics", "Fleet", "SME book", "High-net-worth", "Partners")
EXTRA_STAGE_WEIGHTS = {
    Stage.IDEA: 14,
    Stage.ASSESSED: 14,
    Stage.BRIEF_SIGNED: 9,
    Stage.BUILDING: 14,
    Stage.PILOT: 10,
    Stage.PRODUCTION: 22,
    Stage.SCALED: 12,
    Stage.RETIRED: 5,
}
