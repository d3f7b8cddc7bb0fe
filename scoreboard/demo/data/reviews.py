"""What the CIO and the COO wrote when they signed off a month; the builder draws one of
each for every signed month."""

CIO_COMMENTS = (
    "The platform held its reliability target and two model releases went out without incident.",
    "Uptime is fine. The policy data clean-up is behind plan and it shows in the data-quality score.",
    "Release pace is where we wanted it. Fraud model retraining is booked for next month.",
    "No production incidents; monitoring now covers every live initiative.",
    "Health scores are steady. The summary service moved hosting region without downtime.",
    "Cost per case falls where adoption is high; I want the adoption gaps closed before we start new builds.",
    "One short outage on the triage service, handled by the fallback procedure as designed.",
    "Data quality is still slipping. The fix is funded and starts this month.",
)
COO_COMMENTS = (
    "Adoption is real in claims intake; the service desk still has teams working the old way.",
    "Cycle times are down wherever the workflow changed. Same discipline for the next two launches, please.",
    "Exceptions fell again and two intake clerks moved to fast-track settlement.",
    "I agree with the numbers. Reskilling for the email desk finishes this month.",
    "Processing rate is under the new target. We know why and each team has a plan.",
    "Good month. The fraud analysts want clearer score reasons before the next release.",
    "Signed. The invoice dispute assistant is live but the clerks need another month before its numbers mean much.",
    "Handover rates after the chatbot's switch-off are what we hoped for.",
)
