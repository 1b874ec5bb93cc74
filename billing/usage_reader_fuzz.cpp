// libFuzzer target for the usage readers (CSV and JSON lines, plain or gzip). Built and run by
// scripts/fuzz.sh. The first byte picks what the rest is fed as, so the fuzzer reaches the row
// parsers without having to discover a header first.
#include <cstddef>
#include <cstdint>
#include <string>

#include "billing/usage_reader.h"

namespace {

const char* const kPrefixes[] = {
    "",  // the input as is: format detection, BOM, gzip, headers
    "CustomerId,EntitlementId,MeterCategory,UsageDate,UnitPrice,Quantity,BillingPreTaxTotal,"
    "BillingCurrency,Tags\n",
    "BilledCost,ChargePeriodStart,SubAccountId,ListCost,PricingQuantity,BillingCurrency,"
    "ServiceName,ListUnitPrice\n",
    "{\"CustomerId\":\"c\",\"EntitlementId\":\"s\",\"UsageDate\":\"2024-01-01\",\"UnitPrice\":1,"
    "\"Quantity\":1,\"BillingPreTaxTotal\":1,\"BillingCurrency\":\"USD\"}\n",
};

// Counts what the parallel scan hands over.
class CountingSink : public pc::billing::UsageSink {
 public:
  pc::Status Row(const pc::billing::UsageRowView& row) override {
    (void)row;
    ++rows_;
    return {};
  }
  void Reject(pc::billing::RowError error) override { (void)error.ToString(); }

 private:
  size_t rows_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string input = kPrefixes[data[0] % 4];
  input.append(reinterpret_cast<const char*>(data + 1), size - 1);
  pc::billing::ReaderOptions options;
  options.file_name = "fuzz";
  options.chunk_bytes = 64 + data[0];  // small chunks exercise the record boundaries
  options.threads = 1 + (data[0] & 1);
  auto reader = pc::billing::UsageReader::Open(pc::billing::MemorySource(input), options);
  if (!reader.ok()) return 0;
  while (true) {
    auto batch = (*reader)->Next();
    if (!batch.ok() || !*batch) break;
    for (const auto& e : (*batch)->errors) (void)e.ToString();
  }
  (void)(*reader)->Digest();
  // The parallel scan the import uses, over the same input.
  CountingSink a, b;
  (void)pc::billing::ScanUsage(pc::billing::MemorySource(input), options, {&a, &b},
                               (data[0] & 4) != 0);
  for (size_t i = 1; i < size && i < 64; ++i) {  // the number parser on its own
    (void)pc::billing::ParseUsageNumber(
        std::string_view(reinterpret_cast<const char*>(data + 1), i), (data[0] & 2) != 0);
  }
  return 0;
}
