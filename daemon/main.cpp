// appkeeper: a thin main over the daemon library (see daemon/commands.h).
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "daemon/commands.h"

extern char** environ;

int main(int argc, char** argv) {
  try {
    std::vector<std::string> args(argv + 1, argv + argc);
    appkeeper::daemon::Environment env;
    for (char** e = environ; *e != nullptr; ++e) {
      std::string entry(*e);
      if (auto eq = entry.find('='); eq != std::string::npos) {
        env.emplace(entry.substr(0, eq), entry.substr(eq + 1));
      }
    }
    return appkeeper::daemon::runApp(args, env, std::cout, std::cerr);
  } catch (const std::exception& e) {
    std::cerr << "appkeeper: unexpected error: " << e.what() << '\n';
  } catch (...) {
    std::cerr << "appkeeper: unexpected error\n";
  }
  return appkeeper::daemon::kExitFailure;
}
