"""The chart of accounts. Loaded by the first migration; codes are referenced here only."""

from backend.ledger.models import AccountType as T

CASH = "1000"
BANK = "1010"
TECH_CASH = "1020"  # cash technicians collected at the door and have not yet paid into the bank (party: technician)
RECEIVABLE = "1100"
TECH_ADVANCES = "1200"
TAX_PAYABLE = "2100"  # output tax of invoices issued before GST tax invoices (undivided)
OUTPUT_CGST = "2110"
OUTPUT_SGST = "2120"
OUTPUT_IGST = "2130"
LABOUR_REVENUE = "4000"
PARTS_REVENUE = "4100"
CONTRACT_REVENUE = "4200"
JOB_EXPENSES = "5000"

CHART: list[tuple[str, str, str]] = [
    (CASH, "Cash on hand", T.ASSET),
    (BANK, "Bank", T.ASSET),
    (TECH_CASH, "Cash with technicians", T.ASSET),
    (RECEIVABLE, "Accounts receivable (customers)", T.ASSET),
    (TECH_ADVANCES, "Technician advances and claims", T.ASSET),
    (TAX_PAYABLE, "Output tax payable", T.LIABILITY),
    (OUTPUT_CGST, "Output CGST", T.LIABILITY),
    (OUTPUT_SGST, "Output SGST", T.LIABILITY),
    (OUTPUT_IGST, "Output IGST", T.LIABILITY),
    (LABOUR_REVENUE, "Service labour revenue", T.INCOME),
    (PARTS_REVENUE, "Parts revenue", T.INCOME),
    (CONTRACT_REVENUE, "Contract revenue", T.INCOME),
    (JOB_EXPENSES, "Job travel and expenses", T.EXPENSE),
]

PARTY_ACCOUNT = {"customer": RECEIVABLE, "technician": TECH_ADVANCES}
