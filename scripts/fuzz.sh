#!/usr/bin/env bash
# Builds the libFuzzer targets through CMake (clang, -DPARTNERCLOUD_FUZZ=ON, in build-fuzz/) and
# runs each for a bounded time on its seed corpus.
# Usage: scripts/fuzz.sh [SECONDS per target] (default 40). Skips (exit 0) without clang++.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-40}
out=build-fuzz
if ! command -v clang++ >/dev/null; then
  echo "fuzz: clang++ not found, skipping"
  exit 0
fi
targets=(usage_reader_fuzz http_request_fuzz support_mime_fuzz)
cmake -S . -B "$out" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DPARTNERCLOUD_FUZZ=ON -DPARTNERCLOUD_TESTS=OFF >/dev/null
echo "fuzz: building ${targets[*]}"
cmake --build "$out" -j "${JOBS:-2}" --target "${targets[@]}" >"$out/build.log" 2>&1 || {
  tail -40 "$out/build.log" >&2
  echo "fuzz: build failed" >&2
  exit 1
}

# Seeds: a few lines of each usage format; for HTTP, the cases of the hardening review.
mkdir -p "$out/corpus/usage_reader_fuzz" "$out/corpus/http_request_fuzz"
c="$out/corpus/usage_reader_fuzz"
printf '\001p,c1,s1\n' > "$c/seed-csv"
printf '\000CustomerId,EntitlementId,MeterCategory,UsageDate,UnitPrice,Quantity,BillingPreTaxTotal,BillingCurrency\r\nc,s,"V, M",2024-01-01,0.5,-2,1,USD\r\n' > "$c/seed-pc"
printf '\003{"customerId":"c","quantity":1e3,"tags":"{\\"a\\":1}"}\n' > "$c/seed-jsonl"
printf '\002"1.5",2024-09-01 00:00:00,/subscriptions/x,NULL,2,USD,Storage,0.5\n' > "$c/seed-focus"
cp tests/fuzz_corpus/http/* "$out/corpus/http_request_fuzz/"
# MIME: the support desk's corpus of example emails.
mkdir -p "$out/corpus/support_mime_fuzz"
cp tests/support_corpus/*.eml "$out/corpus/support_mime_fuzz/"

for target in "${targets[@]}"; do
  echo "fuzz: running $target for ${seconds}s"
  ASAN_OPTIONS=detect_leaks=1 "$out/fuzz/$target" -max_total_time="$seconds" -max_len=8192 \
    -timeout=20 -print_final_stats=0 -artifact_prefix="$out/$target-" \
    "$out/corpus/$target" 2>"$out/$target.log" || {
    tail -60 "$out/$target.log" >&2
    echo "fuzz: $target found a crash (input saved in $out/$target-crash-*)" >&2
    exit 1
  }
  tail -1 "$out/$target.log"
  echo "fuzz: $target: no crash in ${seconds}s"
done
