// The README cannot go stale: its ```sh blocks run, in order, against a fresh `partnercloud demo`
// (started from a temporary folder holding build/partnercloud, as a user would from the
// repository root); its configuration table lists every key the binary reads; its Commands
// section every option each subcommand's --help prints; its Layout every top-level folder.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "cli/config.h"
#include "tests/harness.h"

namespace pc::test {
namespace {

namespace fs = std::filesystem;

std::string SourceDir() { return PC_SOURCE_DIR; }

std::string Readme() {
  std::string text = ReadFile(SourceDir() + "/README.md");
  return text;
}

// The text of the section that starts with `heading` ("## Commands"), up to the next "## ".
std::string Section(const std::string& readme, const std::string& heading) {
  size_t a = readme.find("\n" + heading + "\n");
  if (a == std::string::npos) return "";
  size_t b = readme.find("\n## ", a + heading.size() + 2);
  return readme.substr(a, b == std::string::npos ? std::string::npos : b - a);
}

struct Block {
  int line;
  std::string text;
};

// Every ```sh block, in order.
std::vector<Block> ShellBlocks(const std::string& readme) {
  std::vector<Block> out;
  std::istringstream in(readme);
  std::string line;
  int n = 0;
  bool inside = false, shell = false;
  Block current;
  while (std::getline(in, line)) {
    ++n;
    if (line.rfind("```", 0) == 0) {
      if (!inside) {
        inside = true;
        shell = line == "```sh";
        current = {n + 1, ""};
      } else {
        inside = false;
        if (shell) out.push_back(current);
      }
      continue;
    }
    if (inside && shell) current.text += line + "\n";
  }
  return out;
}

TEST(ReadmeTest, ConfigurationTableListsEveryKey) {
  std::string readme = Readme();
  if (readme.empty()) GTEST_SKIP() << "README.md not found beside the sources";
  std::string table = Section(readme, "## Configuration");
  for (const auto& key : pc::cli::ConfigKeys()) {
    EXPECT_NE(table.find("| " + key + " |"), std::string::npos)
        << key << " is read by the binary but missing from the README's configuration table";
  }
}

TEST(ReadmeTest, CommandsListEveryOptionOfEverySubcommand) {
  std::string readme = Readme();
  if (readme.empty()) GTEST_SKIP() << "README.md not found beside the sources";
  std::string commands = Section(readme, "## Commands");
  ASSERT_FALSE(commands.empty());
  const std::vector<std::vector<std::string>> subcommands = {{"serve"},
                                                             {"migrate"},
                                                             {"user", "add"},
                                                             {"demo"},
                                                             {"secret", "seal"},
                                                             {"sandbox"},
                                                             {"sandbox", "generate-usage"},
                                                             {"usage", "import"},
                                                             {"billing", "close"},
                                                             {"billing", "export"},
                                                             {"support", "mail-in"}};
  static const std::regex kOption(R"((--[a-z][a-z0-9-]+))");
  for (const auto& sub : subcommands) {
    std::vector<std::string> args = sub;
    args.push_back("--help");
    auto r = RunCommand(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::string name;
    for (const auto& s : sub) name += s + " ";
    EXPECT_NE(commands.find("partnercloud " + name), std::string::npos) << name;
    std::string help = r.out;
    for (std::sregex_iterator it(help.begin(), help.end(), kOption), end; it != end; ++it) {
      std::string option = (*it)[1];
      if (option == "--help") continue;
      EXPECT_NE(commands.find(option), std::string::npos)
          << "partnercloud " << name << option << " is not in the README's Commands";
    }
  }
}

TEST(ReadmeTest, LayoutListsEveryFolder) {
  std::string readme = Readme();
  if (readme.empty()) GTEST_SKIP() << "README.md not found beside the sources";
  std::string layout = Section(readme, "## Layout");
  for (const auto& entry : fs::directory_iterator(SourceDir())) {
    if (!entry.is_directory()) continue;
    std::string name = entry.path().filename().string();
    if (name.rfind("build", 0) == 0 || name == "data" || name == ".git" ||
        (name[0] == '.' && name != ".ci")) {
      continue;
    }
    EXPECT_NE(layout.find("\n" + name + "/"), std::string::npos)
        << name << "/ is missing from the README's Layout";
  }
}

TEST(ReadmeTest, ShellBlocksRunAgainstAFreshDemo) {
  std::string readme = Readme();
  if (readme.empty()) GTEST_SKIP() << "README.md not found beside the sources";
  auto blocks = ShellBlocks(readme);
  ASSERT_GE(blocks.size(), 5u);

  // A fresh folder that looks like the repository root to the README: build/partnercloud.
  std::string root = TempDir("pc-readme");
  fs::create_directories(root + "/build");
  fs::create_symlink(BinaryPath(), root + "/build/partnercloud");
  std::string previous = fs::current_path().string();
  fs::current_path(root);
  ServerProcess demo;
  demo.Start({"demo", "--sandbox-port", "0"});
  fs::current_path(previous);
  std::smatch m;
  std::string err = demo.Stderr();
  ASSERT_TRUE(
      std::regex_search(err, m, std::regex(R"(CenturyLink Cloud\): (http://127\.0\.0\.1:\d+))")))
      << err;
  std::string sandbox = m[1];
  // The README says the history takes a few seconds after start: wait for it, as a reader would.
  auto session = Http("POST", demo.BaseUrl() + "/api/v1/session",
                      R"({"email":"admin@acme.example","password":"demo"})");
  ASSERT_EQ(session.status, 200) << session.body;
  std::vector<std::string> auth = {"Authorization: Bearer " + Str(Json(session.body).at("token"))};
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(180);
  std::string invoices;
  while (std::chrono::steady_clock::now() < deadline &&
         invoices.find("Update to Previous Month") == std::string::npos) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    invoices = Http("GET", demo.BaseUrl() + "/api/v1/billing/ACME/invoices", "", auth).body;
  }
  ASSERT_NE(invoices.find("Update to Previous Month"), std::string::npos)
      << invoices << demo.Stderr();

  // One script, the blocks in order; curl fails on HTTP errors, as a reader would notice them.
  std::string script = "set -eo pipefail\ncd '" + root + "'\nexport PC='" + demo.BaseUrl() +
                       "' SB='" + sandbox + "'\ncurl() { command curl --fail-with-body \"$@\"; }\n";
  for (size_t i = 0; i < blocks.size(); ++i) {
    script += "echo '### README block " + std::to_string(i + 1) + " (line " +
              std::to_string(blocks[i].line) + ")' >&2\n" + blocks[i].text + "\n";
  }
  std::ofstream(root + "/readme.sh") << script;
  std::string command =
      "bash '" + root + "/readme.sh' > '" + root + "/out' 2> '" + root + "/err' < /dev/null";
  int status = std::system(command.c_str());
  std::string log = ReadFile(root + "/err");
  size_t last = log.rfind("### README block");
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "a README block failed: " << (last == std::string::npos ? log : log.substr(last))
      << "\nstdout tail: " << [&] {
           std::string out = ReadFile(root + "/out");
           return out.size() > 4000 ? out.substr(out.size() - 4000) : out;
         }();
  EXPECT_NE(log.find("### README block " + std::to_string(blocks.size())), std::string::npos);
  demo.Signal(SIGTERM);
  EXPECT_EQ(demo.Wait(), 0);
}

}  // namespace
}  // namespace pc::test
