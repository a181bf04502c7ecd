// SPDX-License-Identifier: Apache-2.0
// Faults (issue 22 §2, docs/reliability.md): the store refuses the agent's messages while the rest
// of the hub works. A trigger in the hub's SQLite database (added from the test, beside the running
// hub) makes every insert into `messages` fail — first the user's, then only the assistant's. The
// user must see an error, never a turn that runs with its message silently lost; once the store
// accepts messages again the conversation goes on, and the transcript holds exactly what it was told.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fake_model.h"
#include "fault_support.h"
#include "session_fixture.h"
#include "store/database.h"

namespace atelier::testing {
namespace {

class FaultAgentStore : public SessionTest {
protected:
    void SetUp() override {
        std::string error;
        model = FakeModelServer::start(&error);
        ASSERT_NE(model, nullptr) << error;
        const auto file = write_fault_config(config_dir.path(), {}, model->base_url());
        hub = HubProcess::start({.args = {"--config", file.string(), "--session-grace", "1"}});
        project = create_project(auth());
        tab = std::make_unique<Tab>(*hub);
        ASSERT_FALSE(start_session(*tab, project).is_null());
    }

    /// Runs `sql` on the hub's database through a second connection.
    void sql(const std::string& statement) {
        auto database = store::open_sqlite_database(hub->data_dir() / "atelier.db");
        ASSERT_TRUE(database) << database.error().message;
        const auto done = (*database)->execute_script(statement);
        ASSERT_TRUE(done) << done.error().message;
    }

    json turn(const std::string& text) {
        tab->send("message:send", {{"text", text}});
        auto complete = tab->next("agent:complete", std::chrono::seconds(120));
        EXPECT_FALSE(complete.is_null()) << json(tab->seen).dump(1) << hub->log();
        return complete.is_null() ? json() : complete["payload"];
    }

    std::vector<std::pair<std::string, std::string>> transcript() {
        const auto page = http_request(hub->port(), "GET", "/api/projects/" + project + "/messages?limit=100", auth());
        EXPECT_EQ(page.status, 200) << page.body;
        std::vector<std::pair<std::string, std::string>> messages;
        const auto body = json::parse(page.body); // kept: the loop reads into it
        for (const auto& message : body["items"]) {
            messages.emplace_back(message["role"], message["content"]);
        }
        return messages;
    }

    std::unique_ptr<FakeModelServer> model;
    std::unique_ptr<Tab> tab;
    std::string project;
};

TEST_F(FaultAgentStore, AMessageTheStoreRefusesIsAnErrorToTheUserNeverASilentLoss) {
    sql("CREATE TRIGGER refuse_messages BEFORE INSERT ON messages BEGIN SELECT RAISE(ABORT, 'injected "
        "failure'); END;");
    ASSERT_TRUE(model->script({{"replies", {{{"text", "This answer must not be given."}}}}}));
    const auto refused = turn("first, while the store refuses");
    EXPECT_EQ(refused["ok"], false) << refused.dump();
    EXPECT_NE(refused["error"]["message"].get<std::string>().find("your message was not saved"), std::string::npos)
        << refused.dump();
    EXPECT_TRUE(tab->all("agent:turn").empty()) << "a turn ran for a message the store refused";
    EXPECT_TRUE(transcript().empty());

    // Only the assistant's answer is refused: the turn runs, and ends with an error that says so.
    sql("DROP TRIGGER refuse_messages; CREATE TRIGGER refuse_answers BEFORE INSERT ON messages WHEN "
        "NEW.role = 'assistant' BEGIN SELECT RAISE(ABORT, 'injected failure'); END;");
    ASSERT_TRUE(model->script({{"replies", {{{"text", "An answer the store refuses."}}}}}));
    const auto unsaved = turn("second, its answer refused");
    EXPECT_EQ(unsaved["ok"], false) << unsaved.dump();
    EXPECT_NE(unsaved["error"]["message"].get<std::string>().find("the answer was not saved"), std::string::npos)
        << unsaved.dump();

    // The store accepts messages again: the conversation goes on.
    sql("DROP TRIGGER refuse_answers;");
    ASSERT_TRUE(model->script({{"replies", {{{"text", "Back."}}}}}));
    const auto recovered = turn("third, all stored");
    EXPECT_EQ(recovered["ok"], true) << recovered.dump();
    const std::vector<std::pair<std::string, std::string>> expected{
        {"user", "second, its answer refused"}, {"user", "third, all stored"}, {"assistant", "Back."}};
    EXPECT_EQ(transcript(), expected);
}

} // namespace
} // namespace atelier::testing
