#include "cli/cli_harness.h"

#include <dirent.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace accz::testing {

std::string accz_binary() { return std::string(ACCZ_BIN_DIR) + "/accz"; }

bool have_tool(const std::string& tool) {
  std::string cmd = "command -v " + tool + " >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

Scratch::Scratch() {
  const char* tmp = std::getenv("TMPDIR");
  std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/accz-test-XXXXXX";
  if (mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = templ;
}

Scratch::~Scratch() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

RunResult Scratch::run(const std::string& command) const {
  const std::string out = dir_ + "/.stdout", err = dir_ + "/.stderr";
  pid_t pid = fork();
  if (pid == 0) {
    if (chdir(dir_.c_str()) != 0) _exit(127);
    setenv("ACCZ", accz_binary().c_str(), 1);
    std::string full = "exec 1>'" + out + "' 2>'" + err + "'; " + command;
    execl("/bin/sh", "sh", "-c", full.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  RunResult r;
  int status = 0;
  waitpid(pid, &status, 0);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  auto slurp = [](const std::string& p) {
    std::ifstream f(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
  };
  r.out = slurp(out);
  r.err = slurp(err);
  unlink(out.c_str());
  unlink(err.c_str());
  return r;
}

void Scratch::write(const std::string& name, const std::vector<uint8_t>& data) const {
  std::ofstream f(path(name), std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

void Scratch::write(const std::string& name, const std::string& data) const {
  write(name, std::vector<uint8_t>(data.begin(), data.end()));
}

std::vector<uint8_t> Scratch::read(const std::string& name) const {
  std::ifstream f(path(name), std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

bool Scratch::exists(const std::string& name) const {
  struct stat st;
  return lstat(path(name).c_str(), &st) == 0;
}

struct stat Scratch::stat(const std::string& name) const {
  struct stat st {};
  ::stat(path(name).c_str(), &st);
  return st;
}

std::vector<std::string> Scratch::list() const {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir_))
    names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace accz::testing
