// tern storage ls|put|get|rm: the objects of the ObjectStore.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "cli/cli.h"
#include "tern/errors.h"

namespace tern::cli {
namespace {

struct StorageArgs {
  std::string prefix;
  bool long_format = false;
  std::string key;
  std::string file = "-";
  std::vector<std::string> keys;
  bool force = false;
};

std::string ReadInput(const std::string& file) {
  if (file == "-") {
    std::ostringstream bytes;
    bytes << std::cin.rdbuf();
    return bytes.str();
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(ErrorCode::kNotFound, "cannot read file " + file);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteOutput(const std::string& file, const std::string& bytes) {
  if (file == "-") {
    std::fwrite(bytes.data(), 1, bytes.size(), stdout);
    std::fflush(stdout);
    return;
  }
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) throw Error(ErrorCode::kIOError, "cannot write file " + file);
}

void List(Context& context, const StorageArgs& args) {
  ObjectStore& store = context.store();
  std::vector<std::vector<std::string>> rows;
  uint64_t total = 0;
  for (const std::string& key : store.List(args.prefix)) {
    std::optional<uint64_t> size = store.Size(key);
    if (!size) continue;  // deleted since it was listed
    total += *size;
    rows.push_back(
        {args.long_format ? std::to_string(*size) : HumanBytes(*size), key});
  }
  PrintTable(rows);
  if (args.long_format) {
    std::printf("total %zu objects, %llu bytes (%s)\n", rows.size(),
                static_cast<unsigned long long>(total),
                HumanBytes(total).c_str());
  }
}

void Put(Context& context, const StorageArgs& args) {
  std::string bytes = ReadInput(args.file);
  context.store().Put(args.key, bytes);
  std::printf("stored %s (%s)\n", args.key.c_str(),
              HumanBytes(bytes.size()).c_str());
}

void Get(Context& context, const StorageArgs& args) {
  std::optional<std::string> bytes = context.store().Get(args.key);
  if (!bytes) {
    throw Error(ErrorCode::kNotFound,
                "no object '" + args.key + "' in " + context.store().Uri());
  }
  WriteOutput(args.file, *bytes);
}

void Remove(Context& context, const StorageArgs& args) {
  ObjectStore& store = context.store();
  for (const std::string& key : args.keys) {
    if (!store.Size(key)) {
      if (!args.force) {
        Warn("no object '" + key + "' in " + store.Uri());
        context.Fail();
      }
      continue;
    }
    store.Delete(key);
    std::printf("removed %s\n", key.c_str());
  }
}

}  // namespace

void AddStorageCommands(CLI::App& app, Context& context) {
  auto args = std::make_shared<StorageArgs>();
  CLI::App* storage = app.add_subcommand(
      "storage", "List, read, write and remove objects in the ObjectStore");

  CLI::App* ls = storage->add_subcommand(
      "ls", "List the keys under PREFIX with their sizes");
  ls->add_option("PREFIX", args->prefix,
                 "Key prefix (a plain string prefix; default: everything)");
  ls->add_flag("-l,--long", args->long_format,
               "Exact sizes in bytes, and a total");
  ls->callback([&context, args] { List(context, *args); });

  CLI::App* put = storage->add_subcommand(
      "put", "Store the bytes of FILE (or stdin for -) under KEY");
  put->add_option("KEY", args->key, "Object key")->required();
  put->add_option("FILE", args->file, "File to read, - for stdin")->required();
  put->callback([&context, args] { Put(context, *args); });

  CLI::App* get = storage->add_subcommand(
      "get", "Write the object KEY to FILE (default: stdout)");
  get->add_option("KEY", args->key, "Object key")->required();
  get->add_option("FILE", args->file, "File to write, - for stdout");
  get->callback([&context, args] { Get(context, *args); });

  CLI::App* rm = storage->add_subcommand("rm", "Remove the objects KEY...");
  rm->add_option("KEY", args->keys, "Object keys")->required();
  rm->add_flag("-f,--force", args->force, "Ignore keys that do not exist");
  rm->callback([&context, args] { Remove(context, *args); });
}

}  // namespace tern::cli
