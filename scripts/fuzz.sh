#!/usr/bin/env bash
# Builds the libFuzzer target of the usage readers with clang and runs it for a bounded time.
# Usage: scripts/fuzz.sh [SECONDS] (default 40). Skips (exit 0) when clang or libFuzzer is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-40}
out=build-fuzz
if ! command -v clang++ >/dev/null; then
  echo "fuzz: clang++ not found, skipping"
  exit 0
fi
mkdir -p "$out/corpus"
sources=(billing/byte_scan.cpp billing/usage_reader.cpp billing/usage_reader_fuzz.cpp core/decimal.cpp core/result.cpp)
binary="$out/usage_reader_fuzz"
newest=$(ls -t "${sources[@]}" billing/usage_reader.h billing/byte_scan.h core/decimal.h core/result.h scripts/fuzz.sh | head -1)
if [[ ! -x "$binary" || "$newest" -nt "$binary" ]]; then
  echo "fuzz: building $binary"
  if ! clang++ -std=c++20 -O1 -g -I. -fsanitize=fuzzer,address,undefined \
      -fno-sanitize-recover=undefined -Wall -Wextra -Werror -Wno-unused-parameter \
      "${sources[@]}" -lsodium -lz -lcrypto -o "$binary"; then
    echo "fuzz: build failed" >&2
    exit 1
  fi
fi
# Seeds: a few lines of each format.
printf '\001p,c1,s1\n' > "$out/corpus/seed-csv"
printf '\000CustomerId,EntitlementId,MeterCategory,UsageDate,UnitPrice,Quantity,BillingPreTaxTotal,BillingCurrency\r\nc,s,"V, M",2024-01-01,0.5,-2,1,USD\r\n' > "$out/corpus/seed-pc"
printf '\003{"customerId":"c","quantity":1e3,"tags":"{\\"a\\":1}"}\n' > "$out/corpus/seed-jsonl"
printf '\002"1.5",2024-09-01 00:00:00,/subscriptions/x,NULL,2,USD,Storage,0.5\n' > "$out/corpus/seed-focus"
echo "fuzz: running usage_reader_fuzz for ${seconds}s"
ASAN_OPTIONS=detect_leaks=1 "$binary" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
  -print_final_stats=0 -artifact_prefix="$out/" "$out/corpus" 2>"$out/fuzz.log" || {
  tail -50 "$out/fuzz.log" >&2
  echo "fuzz: the usage reader fuzzer found a crash (input saved in $out/crash-*)" >&2
  exit 1
}
tail -1 "$out/fuzz.log"
echo "fuzz: no crash in ${seconds}s"
