// SPDX-License-Identifier: Apache-2.0
// The `atelier` command: subcommands and their flags. Option flags are generated from the
// config option table (core/config.cpp), so --help, the environment and the file never disagree.

#include <cstdio>
#include <map>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "app/account_commands.h"
#include "app/eval_command.h"
#include "app/mcp_command.h"
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

    // User and token management on the same data dir / database as `serve` (docs/storage.md).
    std::string user_name;
    bool password_stdin = false;
    auto* user = cli.add_subcommand("user", "Manage users");
    user->require_subcommand(1);
    auto* user_add = user->add_subcommand("add", "Add a user (prints nothing secret)");
    user_add->add_option("NAME", user_name, "The new user's name")->required();
    user_add->add_flag("--password-stdin", password_stdin, "Read a password from the first line of standard input");
    user_add->add_option("--config", config_file, "TOML config file [env ATELIER_CONFIG]");
    add_config_flags(*user_add, flags);

    std::string token_user;
    std::string token_label;
    auto* token = cli.add_subcommand("token", "Manage API tokens");
    token->require_subcommand(1);
    auto* token_create = token->add_subcommand("create", "Create an API token and print it (shown only once)");
    token_create->add_option("--user", token_user, "Whose token (created when missing)")->required();
    token_create->add_option("--label", token_label, "What the token is for, e.g. a device name");
    token_create->add_option("--config", config_file, "TOML config file [env ATELIER_CONFIG]");
    add_config_flags(*token_create, flags);

    // A stdio MCP server for clients that only launch processes, relayed to a running hub (docs/mcp.md).
    std::string mcp_url;
    std::string mcp_token;
    auto* mcp = cli.add_subcommand("mcp", "Bridge MCP over stdio to a running hub's /mcp (stdout carries only "
                                          "protocol messages)");
    mcp->add_option("--url", mcp_url,
                    "The hub, e.g. http://127.0.0.1:8420 [env ATELIER_URL; default: the "
                    "configured host and port]");
    mcp->add_option("--token", mcp_token, "A hub token [env ATELIER_TOKEN; default: the token file in the data dir]");
    mcp->add_option("--config", config_file, "TOML config file [env ATELIER_CONFIG]");

    // The creative task suite against a running hub's agent (docs/agent.md).
    atelier::app::EvalOptions eval_options;
    auto* eval = cli.add_subcommand("eval", "Run the agent's task suite against a running hub and print a table");
    eval->add_option("--url", eval_options.url, "The hub [env ATELIER_URL; default: the configured host and port]");
    eval->add_option("--token", eval_options.token, "A hub token [env ATELIER_TOKEN; default: <data_dir>/token]");
    eval->add_option("--tasks", eval_options.tasks, "A directory of task files, or one file [default: eval/tasks]");
    eval->add_option("--only", eval_options.only, "Run only these task ids")->delimiter(',');
    eval->add_option("--json", eval_options.json_out, "Also write the results as JSON to this file");
    eval->add_option("--config", config_file, "TOML config file [env ATELIER_CONFIG]");

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
    if (user_add->parsed()) {
        return atelier::app::add_user_command(*config, user_name,
                                              password_stdin ? atelier::app::PasswordInput::Stdin
                                                             : atelier::app::PasswordInput::None);
    }
    if (token_create->parsed()) {
        return atelier::app::create_token_command(*config, token_user, token_label);
    }
    if (eval->parsed()) {
        return atelier::app::eval_command(*config, eval_options);
    }
    if (mcp->parsed()) {
        return atelier::app::mcp_command(*config, mcp_url, mcp_token);
    }
    return atelier::app::serve(*config);
}
