// Configuration: file < environment < code, and clear errors for bad input.
#include <cstdlib>
#include <fstream>

#include "core/test_env.h"

namespace tern {
namespace {

using testing_support::ExecutorTest;

class ConfigTest : public ExecutorTest {
 protected:
  void TearDown() override {
    unsetenv("TERN_CONFIG");
    unsetenv("TERN_WORKERS");
  }
  void WriteConfig(const std::string& text) {
    std::string path = dir() + "/config.yaml";
    std::ofstream(path) << text;
    setenv("TERN_CONFIG", path.c_str(), 1);
  }
  std::string LoadError() {
    try {
      LoadOptions();
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
      return e.what();
    }
    ADD_FAILURE() << "expected an error";
    return "";
  }
};

TEST_F(ConfigTest, FileThenEnvironment) {
  WriteConfig("workers: 3\ntask_timeout: 30s\nmemory_limit: 512MiB\n");
  ExecutorOptions options = LoadOptions();
  EXPECT_EQ(options.workers, 3);
  EXPECT_EQ(options.task_timeout, std::chrono::seconds(30));
  EXPECT_EQ(options.memory_limit_bytes, 512u << 20);
  setenv("TERN_WORKERS", "5", 1);
  EXPECT_EQ(LoadOptions().workers, 5);
}

TEST_F(ConfigTest, MalformedYamlNamesTheFile) {
  WriteConfig("workers: [1,\n");
  std::string error = LoadError();
  EXPECT_NE(error.find("malformed config file"), std::string::npos) << error;
  EXPECT_NE(error.find(dir()), std::string::npos) << error;
}

TEST_F(ConfigTest, UnknownKeyIsRejected) {
  WriteConfig("wrokers: 2\n");
  EXPECT_NE(LoadError().find("unknown option 'wrokers'"), std::string::npos);
}

TEST_F(ConfigTest, BadValueNamesOptionAndExpectation) {
  WriteConfig("task_timeout: soon\n");
  std::string error = LoadError();
  EXPECT_NE(error.find("task_timeout"), std::string::npos) << error;
  EXPECT_NE(error.find("duration"), std::string::npos) << error;
}

TEST_F(ConfigTest, BadEnvironmentValueNamesTheVariable) {
  setenv("TERN_WORKERS", "many", 1);
  EXPECT_NE(LoadError().find("TERN_WORKERS"), std::string::npos);
}

TEST_F(ConfigTest, MissingConfigFileNamedByEnvironment) {
  setenv("TERN_CONFIG", "/nonexistent/tern.yaml", 1);
  try {
    LoadOptions();
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/tern.yaml"),
              std::string::npos);
  }
}

TEST_F(ConfigTest, MissingStoreDirectory) {
  auto options = Options();
  options.store = "file://" + dir() + "/no-such-dir";
  try {
    Executor ex(options);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_NE(std::string(e.what()).find("no-such-dir"), std::string::npos)
        << e.what();
  }
}

TEST_F(ConfigTest, UnknownSchemeIsRejected) {
  auto options = Options();
  options.coordinator = "postgres://localhost/tern";
  try {
    Executor ex(options);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("postgres"), std::string::npos);
  }
}

}  // namespace
}  // namespace tern
