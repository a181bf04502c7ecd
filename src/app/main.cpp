// The `atelier` command: subcommands and their flags. Option flags are generated from the
// config option table (core/config.cpp), so --help, the environment and the file never disagree.

#include <cstdio>
#include <map>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "app/serve.h"
#include "core/config.h"

namespace {

using atelier::Config;
using atelier::OptionType;

void add_config_flags(CLI::App& command, std::map<std::string, std::string>& flags) {
    const Config defaults;
    for (const auto& spec : atelier::config_options()) {
        const std::string key(spec.key);
        std::string help = fmt::format("{} [env {}, file key {}", spec.help, spec.env, spec.key);
        if (const auto value = atelier::option_value_text(defaults, spec); !value.empty()) {
            help += fmt::format(", default {}", value);
        }
        help += "]";
        const std::string flag = fmt::format("--{}", spec.flag);
        if (spec.type == OptionType::Boolean) {
            command.add_flag_callback(
                flag, [&flags, key] { flags[key] = "true"; }, help);
        } else {
            command.add_option_function<std::string>(
                flag, [&flags, key](const std::string& value) { flags[key] = value; }, help);
        }
    }
}

} // namespace

int main(int argc, char** argv) {
    CLI::App cli{"atelier — a creative studio you talk to (the hub)", "atelier"};
    cli.require_subcommand(1);

    std::map<std::string, std::string> flags;
    std::string config_file;
    auto* serve = cli.add_subcommand("serve", "Run the hub: HTTP, WebSockets and the web app on one port");
    serve->add_option("--config", config_file, "TOML config file [env ATELIER_CONFIG]");
    add_config_flags(*serve, flags);

    auto* version = cli.add_subcommand("version", "Print the version");

    try {
        cli.parse(argc, argv);
    } catch (const CLI::CallForHelp& help) {
        return cli.exit(help);
    } catch (const CLI::CallForAllHelp& help) {
        return cli.exit(help);
    } catch (const CLI::ParseError& error) {
        std::fprintf(stderr, "atelier: %s (see --help)\n", error.what());
        return 2;
    }

    if (version->parsed()) {
        std::printf("atelier %s\n", ATELIER_VERSION);
        return 0;
    }

    atelier::ConfigSources sources;
    sources.environment = atelier::atelier_environment();
    if (config_file.empty()) {
        if (auto it = sources.environment.find("ATELIER_CONFIG"); it != sources.environment.end()) {
            config_file = it->second;
        }
    }
    if (!config_file.empty()) {
        sources.file = config_file;
    }
    sources.flags = std::move(flags);
    auto config = atelier::load_config(sources);
    if (!config) {
        std::fprintf(stderr, "atelier: %s\n", config.error().message.c_str());
        return 2;
    }
    return atelier::app::serve(*config);
}
