#!/usr/bin/env bash
# Brings a business up from an EMPTY database and runs processes A-E for its
# first customer, with curl and jq against the API:
#   FIELDSERV_DEMO=0 .venv/bin/python -m backend.cli setup-db
#   .venv/bin/python -m backend.cli create-admin --email owner@example.com --name 'Priya Nair'
#   (start the API: make run, or .venv/bin/python -m backend.api)
#   API=http://127.0.0.1:8000 ADMIN_EMAIL=owner@example.com ADMIN_PASSWORD=... scripts/walk_from_empty.sh
# The admin adds the staff and the price list, the agent brings the customer in
# (customer, site, installed item, login), then: A the customer raises a request
# that the new item's manufacturer warranty covers; B the job is done and
# closed; C an AMC inquiry, offer and acceptance; D a walk-in order invoiced up
# front, paid and planned; E a walk-in repair estimated, approved, repaired,
# invoiced, paid and delivered.
set -euo pipefail
API=${API:-http://127.0.0.1:8000}
ADMIN_EMAIL=${ADMIN_EMAIL:?the first admin\'s e-mail (python -m backend.cli create-admin)}
ADMIN_PASSWORD=${ADMIN_PASSWORD:?the first admin\'s password}
PW=${STAFF_PASSWORD:-walk-pass-1}
login() { curl -s --fail-with-body "$API/api/login" -H 'Content-Type: application/json' \
            -d "{\"email\":\"$1\",\"password\":\"$2\"}" | jq -r .token; }
post() { local who=$1 path=$2; shift 2
         curl -s --fail-with-body -X POST "$API$path" -H "Authorization: Bearer $who" \
              -H 'Content-Type: application/json' "$@"; }
get()  { curl -s --fail-with-body "$API$2" -H "Authorization: Bearer $1"; }
say()  { printf '%-34s %s\n' "$1" "$2"; }
user() { post "$ADMIN" /api/users -d "{\"email\":\"$1\",\"name\":\"$2\",\"role\":\"$3\",\"password\":\"$PW\"$4}"; }
day()  { date -u -d "+$1 days $2" +%FT%TZ; }

ADMIN=$(login "$ADMIN_EMAIL" "$ADMIN_PASSWORD")
say "customers before" "$(get "$ADMIN" /api/customers | jq length)"
# The admin's first morning: staff, then what the business sells and charges.
user agent@shop.example "Arjun Shah" agent "" >/dev/null
TECH_ID=$(user tech@shop.example "Vikram Singh" technician "" | jq .id)
user manager@shop.example "Meera Iyer" manager "" >/dev/null
AGENT=$(login agent@shop.example "$PW"); TECH=$(login tech@shop.example "$PW")
post "$ADMIN" /api/products -d '{"sku":"AC-15T","name":"Split AC 1.5 ton","category":"air conditioner","warranty_months":12}' >/dev/null
post "$ADMIN" /api/parts -d '{"sku":"P-CAP-35UF","name":"Run capacitor 35uF","unit_price":"650","unit_cost":"300","opening_stock":"10","hsn_code":"8532"}' >/dev/null
post "$ADMIN" /api/service-charges -d '{"code":"VISIT","name":"Service visit (labour)","unit_price":"499"}' >/dev/null
post "$ADMIN" /api/service-charges -d '{"code":"BENCH","name":"Workshop bench fee","unit_price":"299"}' >/dev/null
say "price list" "$(get "$AGENT" /api/service-charges | jq -c '[.[].code]')"

# The phone rings: a new customer. The agent brings her in.
CUST=$(post "$AGENT" /api/customers -H 'Idempotency-Key: onboard-1' \
       -d '{"name":"Kavya Menon","mobile":"098201 23456","email":"kavya@example.com","address":"7 Lake View, Powai","city":"Mumbai","pin_code":"400076"}')
CID=$(jq .id <<<"$CUST"); say "customer" "$(jq -c '{code,phone}' <<<"$CUST")"
SITE=$(jq '.sites[0].id' <<<"$CUST")
BOUGHT=$(date -u -d '-2 months' +%F)
say "item" "$(post "$AGENT" /api/items -d "{\"customer_id\":$CID,\"product_sku\":\"AC-15T\",\"serial\":\"KV-AC-0001\",\"site_id\":$SITE,\"purchased_on\":\"$BOUGHT\"}" | jq -c '{serial,warranty_until}')"
say "same mobile again" "$(curl -s -X POST "$API/api/customers" -H "Authorization: Bearer $AGENT" \
      -H 'Content-Type: application/json' -d '{"name":"K Menon","mobile":"+91 98201 23456"}' | jq -r .error.message)"
user kavya@example.com "Kavya Menon" customer ",\"customer_id\":$CID" >/dev/null
KAVYA=$(login kavya@example.com "$PW")

# A: her request; the new item's manufacturer warranty covers it.
say "A entitlement" "$(get "$KAVYA" '/api/entitlement?serial=KV-AC-0001' | jq -c '{cover,billable}')"
JOB=$(post "$KAVYA" /api/requests -H 'Idempotency-Key: req-1' \
      -d '{"want":"service","problem":"AC not cooling","serial":"KV-AC-0001"}' | jq -r .job_number)
say "A request -> job" "$JOB"
# B: scheduled, done under warranty, nothing to bill.
say "B schedule" "$(post "$AGENT" /api/jobs/$JOB/schedule \
      -d "{\"technician_id\":$TECH_ID,\"start\":\"$(day 2 09:00)\",\"end\":\"$(day 2 11:00)\"}" | jq -c '{state}')"
post "$TECH" /api/jobs/$JOB/confirm >/dev/null
post "$AGENT" /api/jobs/$JOB/release >/dev/null
post "$TECH" /api/jobs/$JOB/arrival >/dev/null
post "$TECH" /api/jobs/$JOB/parts -d '{"part_sku":"P-CAP-35UF","qty":1}' >/dev/null
say "B resolve" "$(post "$TECH" /api/jobs/$JOB/resolve -d '{"service_notes":"Replaced the run capacitor"}' \
      | jq -c '{state,estimate_amount}')"
say "B closed, nothing to bill" "$(post "$AGENT" /api/jobs/$JOB/bill | jq -c '{state,invoice_number}')"

# C: an AMC for the AC, offered with the plan and accepted by her.
CT=$(post "$AGENT" /api/contracts -H 'Idempotency-Key: amc-1' \
     -d "{\"type_code\":\"AMC\",\"serials\":[\"KV-AC-0001\"],\"customer_id\":$CID}" | jq -r .number)
say "C inquiry" "$CT"
post "$AGENT" /api/contracts/$CT/offers -H 'Idempotency-Key: offer-1' \
     -d "{\"amount\":\"4800\",\"starts_on\":\"$(date -u -d '+1 day' +%F)\",\"ends_on\":\"$(date -u -d '+1 year' +%F)\",\"visits_per_year\":2,\"instalments\":4}" >/dev/null
say "C accepted" "$(post "$KAVYA" /api/contracts/$CT/accept | jq -c '{state,invoice_number}')"

# D: she walks in for a one-time deep clean: invoiced up front, paid, planned.
SO=$(post "$AGENT" /api/orders -H 'Idempotency-Key: order-1' \
     -d "{\"customer_id\":$CID,\"description\":\"Deep clean of the AC\",\"serial\":\"KV-AC-0001\",\"lines\":[{\"code\":\"VISIT\",\"qty\":1}]}" | jq -r .number)
SOINV=$(post "$AGENT" /api/orders/$SO/invoice | jq -r .invoice_number)
SOTOTAL=$(get "$KAVYA" /api/invoices/$SOINV | jq -r .total)
post "$AGENT" /api/invoices/$SOINV/receipts -H 'Idempotency-Key: pay-order-1' \
     -d "{\"amount\":\"$SOTOTAL\",\"method\":\"upi\"}" >/dev/null
say "D order" "$(post "$AGENT" /api/orders/$SO/plan \
      -d "{\"technician_id\":$TECH_ID,\"start\":\"$(day 5 14:00)\",\"end\":\"$(day 5 16:00)\"}" | jq -c '{number,state}') $SOINV $SOTOTAL"

# E: and hands in her table fan at the counter.
RO=$(post "$AGENT" /api/repairs -H 'Idempotency-Key: repair-1' \
     -d "{\"customer_id\":$CID,\"item_description\":\"Table fan\",\"fault\":\"Does not turn\"}" | jq -r .number)
post "$AGENT" /api/repairs/$RO/assign -d "{\"technician_id\":$TECH_ID}" >/dev/null
post "$TECH" /api/repairs/$RO/estimate -d '{"lines":[{"code":"BENCH","qty":1}]}' >/dev/null
post "$KAVYA" /api/repairs/$RO/approve >/dev/null
post "$TECH" /api/repairs/$RO/start >/dev/null
post "$TECH" /api/repairs/$RO/complete -d '{"check_notes":"Runs at all speeds"}' >/dev/null
ROINV=$(post "$AGENT" /api/repairs/$RO/invoice | jq -r .invoice_number)
ROTOTAL=$(get "$KAVYA" /api/invoices/$ROINV | jq -r .total)
post "$AGENT" /api/invoices/$ROINV/receipts -H 'Idempotency-Key: pay-repair-1' \
     -d "{\"amount\":\"$ROTOTAL\",\"method\":\"cash\"}" >/dev/null
say "E repair" "$(post "$AGENT" /api/repairs/$RO/deliver | jq -c '{number,state}') $ROINV $ROTOTAL"
say "E feedback" "$(post "$KAVYA" /api/repairs/$RO/feedback -d '{"rating":5,"comment":"Good as new"}' | jq -c '{rating}')"
say "her statement" "$(get "$KAVYA" /api/ledger/statements/customer/$CID | jq -c '{closing,total_debit,total_credit}')"
