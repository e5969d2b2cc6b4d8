#!/usr/bin/env bash
# Walks one job through process B against a running `make run` (demo data),
# with curl and jq: request → schedule → confirm → advance → release →
# arrival → parts → resolve → estimate → feedback → expense claim → bill →
# payment (retried once, recorded once) → settled, then the statements.
#   API=http://127.0.0.1:8000 scripts/walk_process_b.sh
set -euo pipefail
API=${API:-http://127.0.0.1:8000}
RUN=${RUN:-$(date +%s)}  # makes the idempotency keys unique per walk
login() { curl -s --fail-with-body "$API/api/login" -H 'Content-Type: application/json' \
            -d "{\"email\":\"$1\",\"password\":\"demo1234\"}" | jq -r .token; }
post() { local who=$1 path=$2; shift 2
         curl -s --fail-with-body -X POST "$API$path" -H "Authorization: Bearer $who" \
              -H 'Content-Type: application/json' "$@"; }
get()  { curl -s --fail-with-body "$API$2" -H "Authorization: Bearer $1"; }
say()  { printf '%-34s %s\n' "$1" "$2"; }

ASHA=$(login asha@example.com); AGENT=$(login agent@fieldserv.test)
TECH=$(login tech@fieldserv.test); MANAGER=$(login manager@fieldserv.test)

# A1/A2: Asha's AC is under an AMC (labour covered, parts billable).
say "entitlement" "$(get "$ASHA" '/api/entitlement?serial=AC15-2022-0042' | jq -c '{cover,billable}')"
JOB=$(post "$ASHA" /api/requests -H "Idempotency-Key: walk-$RUN" \
      -d '{"want":"service","problem":"AC not cooling","serial":"AC15-2022-0042"}' | jq -r .job_number)
say "A2 request -> job" "$JOB"
TECH_ID=$(get "$AGENT" '/api/users?role=technician' | jq '[.[] | select(.email=="tech@fieldserv.test")][0].id')
DAYS=$(( 3 + RUN % 200 ))
START=$(date -u -d "+$DAYS days 09:00" +%FT%TZ); END=$(date -u -d "+$DAYS days 11:00" +%FT%TZ)
say "B1 schedule" "$(post "$AGENT" /api/jobs/$JOB/schedule \
      -d "{\"technician_id\":$TECH_ID,\"start\":\"$START\",\"end\":\"$END\"}" | jq -c '{state,technician_name}')"
say "B2 confirm" "$(post "$TECH" /api/jobs/$JOB/confirm | jq -c '{state}')"
ADV=$(post "$TECH" /api/jobs/$JOB/advances -d '{"amount":"500","purpose":"Taxi"}' | jq .id)
say "B3 advance sanctioned" "$(post "$AGENT" /api/advances/$ADV/sanction | jq -c '{state,voucher}')"
say "B4 release" "$(post "$AGENT" /api/jobs/$JOB/release | jq -c '{state}')"
say "B5 arrival" "$(post "$TECH" /api/jobs/$JOB/arrival | jq -c '{state}')"
say "B6 parts" "$(post "$TECH" /api/jobs/$JOB/parts -d '{"part_sku":"P-CAP-35UF","qty":1}' | jq -c '[.parts[].sku]')"
say "B6 resolve" "$(post "$TECH" /api/jobs/$JOB/resolve -d '{"service_notes":"Replaced the run capacitor"}' \
      | jq -c '{state,estimate_amount}')"
say "B7 estimate accepted" "$(post "$ASHA" /api/jobs/$JOB/estimate/accept | jq -c '{estimate_state}')"
say "B7 feedback" "$(post "$ASHA" /api/jobs/$JOB/feedback -d '{"rating":5,"comment":"Quick and tidy"}' | jq -c '{state}')"
BILLFILE=$(mktemp --suffix .pdf); printf '%%PDF-1.4\n%%EOF\n' > "$BILLFILE"
BILL=$(curl -s --fail-with-body "$API/api/attachments" -H "Authorization: Bearer $TECH" \
       -F "file=@$BILLFILE;type=application/pdf" | jq .id); rm -f "$BILLFILE"
LINE=$(post "$TECH" /api/jobs/$JOB/expense-claims \
       -d "{\"lines\":[{\"category\":\"travel\",\"description\":\"Taxi\",\"amount\":\"350\",\"attachment_id\":$BILL}]}" \
       | jq '.lines[0].id')
say "B8 bill passed" "$(post "$MANAGER" /api/expense-lines/$LINE/decision -d '{"passed":true}' | jq -c '{state,passed_total}')"
INV=$(post "$AGENT" /api/jobs/$JOB/bill | jq -r .invoice_number)
TOTAL=$(get "$ASHA" /api/invoices/$INV | jq -r .total)
say "B9/B10 invoice" "$INV total $TOTAL"
say "B12 receipt" "$(post "$AGENT" /api/invoices/$INV/receipts -H "Idempotency-Key: pay-$RUN" \
      -d "{\"amount\":\"$TOTAL\",\"method\":\"upi\"}" | jq -c '{number,invoice_outstanding,created}')"
say "B12 same payment retried" "$(post "$AGENT" /api/invoices/$INV/receipts -H "Idempotency-Key: pay-$RUN" \
      -d "{\"amount\":\"$TOTAL\",\"method\":\"upi\"}" | jq -c '{number,created}')"
say "job" "$(get "$ASHA" /api/jobs/$JOB | jq -c '{state,invoice_number}')"
CID=$(get "$ASHA" /api/me | jq .customer_id)
say "Asha's statement" "$(get "$ASHA" /api/ledger/statements/customer/$CID | jq -c '{closing,total_debit,total_credit}')"
say "technician's statement" "$(get "$TECH" /api/ledger/statements/technician/$TECH_ID | jq -c '{closing}')"
