"""What a notice says, in the recipient's language: a title and one
sentence, from the event and its payload. The portal inbox, the chat push,
the webhook and the e-mail's subject and first line all say the same."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from string import Formatter
from typing import Any
from zoneinfo import ZoneInfo

LANGUAGES = ("en", "hi")

# event: (title, sentence); {names} come from the notice's payload.
EN: dict[str, tuple[str, str]] = {
    "request_received": ("Request received", "We have your request {request}; {job}{order} is its reference."),
    "ticket_opened": ("Question received", "Your question {ticket} is with our help desk."),
    "ticket_answered": ("Your question was answered", "The help desk answered {ticket}: {answer}"),
    "appointment_confirmed": ("Appointment booked", "{technician} will visit for {job} at {start}."),
    "appointment_moved": ("Appointment moved", "The visit for {job} is now at {start}."),
    "appointment_reminder": ("Visit tomorrow", "Reminder: {technician} visits for {job} at {start}."),
    "technician_confirmed": ("Technician confirmed", "{technician} confirmed the visit for {job}."),
    "technician_arrived": ("Technician arrived", "{technician} has arrived for {job}."),
    "job_resolved": ("Service done", "The work on {job} is done; amount due outside your cover: {estimate}."),
    "job_closed": ("Job closed", "{job} is closed; nothing is billed."),
    "job_cancelled": ("Job cancelled", "{job} was cancelled: {reason}"),
    "final_bill": ("Your bill", "Invoice {invoice} for {job}: {total}."),
    "payment_received": ("Payment received", "We received {amount} against {invoice} (receipt {receipt}); "
                         "still due: {outstanding}."),
    "payment_reminder": ("Payment reminder", "{invoice} has {outstanding} outstanding."),
    "payment_reported": ("Payment report received", "We have your report of {amount} paid by UPI on {invoice} "
                         "(UTR {utr}); we confirm it when it reaches our bank."),
    "payment_report_rejected": ("Payment report not confirmed", "Your report of {amount} on {invoice} (UTR {utr}) "
                                "was not confirmed: {reason}. Please check the UTR in your UPI app, or pay again "
                                "with the link in your invoice."),
    "credit_note": ("Credit note", "Credit note {credit_note} of {amount} on {invoice} ({reason}); "
                    "still due: {outstanding}."),
    "invoice_cancelled": ("Invoice cancelled", "{invoice} is cancelled ({reason}); nothing is due on it."),
    "refund_paid": ("Refund paid", "We refunded {amount} on {invoice} by {method} (refund {refund})."),
    "visit_planned": ("Maintenance visit planned", "A visit under {contract} is due on {due} ({job})."),
    "contract_inquiry_received": ("Contract inquiry received", "We are preparing an offer for {contract}."),
    "contract_offer": ("Your contract offer", "Offer v{version} for {contract}: {amount}, valid until {valid_until}."),
    "order_acceptance": ("Contract accepted", "{contract} runs from {starts_on} to {ends_on}."),
    "contract_invoice": ("Contract invoice", "Invoice {invoice}: {total}."),
    "renewal_reminder": ("Contract ending soon", "{contract} ends on {ends_on}; reply to renew it."),
    "renewal_requested": ("Renewal requested", "We are preparing the renewal of {contract}."),
    "order_invoice": ("Service order invoice", "Invoice {invoice} for {order}: {total}."),
    "repair_received": ("Repair received", "We have your item for repair {repair}."),
    "repair_estimate": ("Repair estimate", "The estimate for {repair} is {total}; please approve or decline."),
    "repair_started": ("Repair started", "Work on {repair} has started."),
    "repair_completed": ("Repair done", "{repair} is repaired."),
    "repair_ready": ("Ready for collection", "{repair} is ready to collect; amount due: {total}."),
    "repair_delivered": ("Repair delivered", "{repair} was handed back."),
    "repair_returned": ("Item returned", "{repair} was returned unrepaired."),
    "job_assigned": ("New job", "{job} is assigned to you, at {start}."),
    "job_moved": ("Job moved", "{job} is now at {start}."),
    "job_released": ("Job released", "{job} is released: you may start."),
    "customer_confirmed": ("Customer confirmed", "The customer confirmed the slot of {job} at {start}."),
    "advance_sanctioned": ("Advance sanctioned", "Your advance of {amount} for {job} is sanctioned."),
    "advance_rejected": ("Advance refused", "Your advance for {job} was refused: {reason}"),
    "expense_claim_decided": ("Expense claim decided", "{claim}: {passed} passed."),
    "repair_assigned": ("New repair", "{repair} is assigned to you."),
    "repair_confirmed": ("Repair approved", "The customer approved the estimate of {repair}."),
    "overdue_alert": ("Past its due time", "{reference} is past its due time ({state})."),
    "verify_email": ("Confirm your e-mail address", "Open the link in this e-mail to confirm {email} and finish "
                     "creating your account; it works once, within 48 hours. If you did not sign up, ignore "
                     "this message."),
    "password_reset": ("Reset your password", "Open the link in this e-mail to choose a new password for {email}; "
                       "it works once, within an hour. If you did not ask for it, ignore this message: your "
                       "password stays as it is."),
    "kb_proposal_published": ("Your article was published", "The curator published your proposal "
                              "\"{title}\". {note}"),
    "kb_proposal_rejected": ("Your article proposal was declined", "The curator declined your proposal "
                             "\"{title}\": {note}"),
}
# Hindi, plain and polite (आप); the same {names} as EN.
HI: dict[str, tuple[str, str]] = {
    "request_received": ("अनुरोध मिला", "आपका अनुरोध {request} हमें मिल गया है; इसका संदर्भ {job}{order} है।"),
    "ticket_opened": ("प्रश्न मिला", "आपका प्रश्न {ticket} हमारी हेल्प डेस्क के पास है।"),
    "ticket_answered": ("आपके प्रश्न का उत्तर", "हेल्प डेस्क ने {ticket} का उत्तर दिया है: {answer}"),
    "appointment_confirmed": ("अपॉइंटमेंट तय", "{technician} {job} के लिए {start} पर आएँगे।"),
    "appointment_moved": ("अपॉइंटमेंट बदला गया", "{job} की विज़िट अब {start} पर है।"),
    "appointment_reminder": ("कल विज़िट है", "याद दिला दें: {technician} {job} के लिए {start} पर आएँगे।"),
    "technician_confirmed": ("तकनीशियन ने पुष्टि की", "{technician} ने {job} की विज़िट की पुष्टि कर दी है।"),
    "technician_arrived": ("तकनीशियन पहुँच गए", "{technician} {job} के लिए पहुँच गए हैं।"),
    "job_resolved": ("सेवा पूरी हुई", "{job} का काम पूरा हो गया है; आपके कवर से बाहर देय राशि: {estimate}।"),
    "job_closed": ("जॉब बंद", "{job} बंद कर दिया गया है; कोई बिल नहीं बना है।"),
    "job_cancelled": ("जॉब रद्द", "{job} रद्द कर दिया गया है: {reason}"),
    "final_bill": ("आपका बिल", "{job} का इनवॉइस {invoice}: {total}।"),
    "payment_received": ("भुगतान मिला", "{invoice} के लिए {amount} प्राप्त हुए (रसीद {receipt}); "
                         "अभी देय: {outstanding}।"),
    "payment_reminder": ("भुगतान की याद", "{invoice} पर {outstanding} बकाया है।"),
    "payment_reported": ("भुगतान की सूचना मिली", "{invoice} पर UPI से {amount} के भुगतान की आपकी सूचना (UTR {utr}) "
                         "हमें मिल गई है; बैंक में पहुँचते ही हम इसकी पुष्टि करेंगे।"),
    "payment_report_rejected": ("भुगतान की पुष्टि नहीं हुई", "{invoice} पर {amount} के भुगतान (UTR {utr}) की पुष्टि "
                                "नहीं हुई: {reason}। कृपया अपने UPI ऐप में UTR जाँचें, या इनवॉइस के लिंक से फिर से "
                                "भुगतान करें।"),
    "credit_note": ("क्रेडिट नोट", "{invoice} पर {amount} का क्रेडिट नोट {credit_note} ({reason}); "
                    "अभी देय: {outstanding}।"),
    "invoice_cancelled": ("इनवॉइस रद्द", "{invoice} रद्द कर दिया गया है ({reason}); इस पर कुछ देय नहीं है।"),
    "refund_paid": ("रिफ़ंड भेजा गया", "{invoice} पर {amount} {method} से लौटाए गए (रिफ़ंड {refund})।"),
    "visit_planned": ("रखरखाव विज़िट तय", "{contract} के अंतर्गत {due} को एक विज़िट होनी है ({job})।"),
    "contract_inquiry_received": ("अनुबंध की पूछताछ मिली", "हम {contract} के लिए प्रस्ताव तैयार कर रहे हैं।"),
    "contract_offer": ("आपका अनुबंध प्रस्ताव",
                       "{contract} के लिए प्रस्ताव v{version}: {amount}, {valid_until} तक मान्य।"),
    "order_acceptance": ("अनुबंध स्वीकार हुआ", "{contract} {starts_on} से {ends_on} तक लागू है।"),
    "contract_invoice": ("अनुबंध का इनवॉइस", "इनवॉइस {invoice}: {total}।"),
    "renewal_reminder": ("अनुबंध जल्द समाप्त होगा",
                         "{contract} {ends_on} को समाप्त होगा; नवीनीकरण के लिए कृपया उत्तर दें।"),
    "renewal_requested": ("नवीनीकरण का अनुरोध मिला", "हम {contract} का नवीनीकरण तैयार कर रहे हैं।"),
    "order_invoice": ("सेवा ऑर्डर का इनवॉइस", "{order} के लिए इनवॉइस {invoice}: {total}।"),
    "repair_received": ("मरम्मत के लिए सामान मिला", "मरम्मत {repair} के लिए आपका सामान हमें मिल गया है।"),
    "repair_estimate": ("मरम्मत का अनुमान", "{repair} का अनुमान {total} है; कृपया स्वीकार या अस्वीकार करें।"),
    "repair_started": ("मरम्मत शुरू हुई", "{repair} पर काम शुरू हो गया है।"),
    "repair_completed": ("मरम्मत पूरी हुई", "{repair} की मरम्मत हो गई है।"),
    "repair_ready": ("ले जाने के लिए तैयार", "{repair} ले जाने के लिए तैयार है; देय राशि: {total}।"),
    "repair_delivered": ("मरम्मत का सामान सौंपा गया", "{repair} आपको वापस सौंप दिया गया है।"),
    "repair_returned": ("सामान लौटाया गया", "{repair} बिना मरम्मत के लौटा दिया गया है।"),
    "job_assigned": ("नया जॉब", "{job} आपको सौंपा गया है, {start} पर।"),
    "job_moved": ("जॉब का समय बदला", "{job} अब {start} पर है।"),
    "job_released": ("जॉब रिलीज़ हुआ", "{job} रिलीज़ हो गया है: आप काम शुरू कर सकते हैं।"),
    "customer_confirmed": ("ग्राहक ने पुष्टि की", "ग्राहक ने {job} के {start} वाले समय की पुष्टि कर दी है।"),
    "advance_sanctioned": ("अग्रिम स्वीकृत", "{job} के लिए आपका {amount} का अग्रिम स्वीकृत हो गया है।"),
    "advance_rejected": ("अग्रिम अस्वीकृत", "{job} के लिए आपका अग्रिम अस्वीकार कर दिया गया: {reason}"),
    "expense_claim_decided": ("व्यय दावे पर निर्णय", "{claim}: {passed} स्वीकृत।"),
    "repair_assigned": ("नई मरम्मत", "{repair} आपको सौंपी गई है।"),
    "repair_confirmed": ("मरम्मत स्वीकृत", "ग्राहक ने {repair} का अनुमान स्वीकार कर लिया है।"),
    "overdue_alert": ("समय सीमा बीत गई", "{reference} अपनी समय सीमा पार कर चुका है ({state})।"),
    "verify_email": ("अपना ई-मेल पता पुष्टि करें", "{email} की पुष्टि करने और अपना खाता बनाना पूरा करने के लिए इस "
                     "ई-मेल का लिंक खोलें; यह 48 घंटों में एक बार काम करता है। यदि आपने साइन अप नहीं किया, तो इस "
                     "संदेश को अनदेखा करें।"),
    "password_reset": ("अपना पासवर्ड बदलें", "{email} के लिए नया पासवर्ड चुनने के लिए इस ई-मेल का लिंक खोलें; यह "
                       "एक घंटे में एक बार काम करता है। यदि आपने यह नहीं माँगा, तो इसे अनदेखा करें: आपका पासवर्ड "
                       "वही रहेगा।"),
    "kb_proposal_published": ("आपका लेख प्रकाशित हुआ", "क्यूरेटर ने आपका प्रस्ताव \"{title}\" प्रकाशित कर दिया। "
                              "{note}"),
    "kb_proposal_rejected": ("आपका लेख प्रस्ताव अस्वीकार हुआ", "क्यूरेटर ने आपका प्रस्ताव \"{title}\" अस्वीकार "
                             "कर दिया: {note}"),
}


@dataclass(frozen=True)
class Wording:
    title: str
    text: str
    reference: str | None  # the record it is about (JB-…, INV-…), for a link


REFERENCE_KEYS = ("invoice", "job", "order", "repair", "contract", "ticket", "claim", "request", "reference")


ZONE = "Asia/Kolkata"  # the business's time zone, as the portal shows times


def shown(value: Any, zone: str = ZONE) -> Any:
    """A timestamp (``2026-12-05T04:30:00+00:00``) as a person reads it, in
    the business's time zone (``05 Dec 2026 10:00``); anything else as it is."""
    if isinstance(value, str) and len(value) >= 16 and value[10:11] == "T":
        try:
            at = datetime.fromisoformat(value)
        except ValueError:
            return value
        if at.tzinfo is not None:
            return at.astimezone(ZoneInfo(zone)).strftime("%d %b %Y %H:%M")
    return value


def word(event: str, payload: dict[str, Any], language: str = "en", zone: str = ZONE) -> Wording:
    table = HI if language == "hi" else EN
    title, text = table.get(event) or EN.get(event) or (event.replace("_", " ").capitalize(), "")
    values = {name: shown(payload.get(name, ""), zone) for _, name, _, _ in Formatter().parse(text) if name}
    reference = next((str(payload[k]) for k in REFERENCE_KEYS if payload.get(k)), None)
    return Wording(title, text.format(**values).strip() or title, reference)
