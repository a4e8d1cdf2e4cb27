// Code locations relative to their module, so that the same binary loaded at
// another address (ASLR) in a worker finds the same function.
#include "tern/internal/function_ref.h"

#include <cxxabi.h>
#include <link.h>

#include <cstdlib>
#include <cstring>
#include <memory>

namespace tern::internal {
namespace {

struct ModuleQuery {
  const char* name = nullptr;  // find by name ("" = main executable), or
  uintptr_t address = 0;       // find the module whose segments hold address
  std::string found_name;
  uintptr_t base = 0;
  bool found = false;
};

bool Holds(const dl_phdr_info* info, uintptr_t address) {
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& segment = info->dlpi_phdr[i];
    uintptr_t start = info->dlpi_addr + segment.p_vaddr;
    if (segment.p_type == PT_LOAD && address >= start &&
        address < start + segment.p_memsz) {
      return true;
    }
  }
  return false;
}

// dl_iterate_phdr lists the main executable first, with an empty name.
int FindModule(dl_phdr_info* info, size_t, void* data) {
  auto* query = static_cast<ModuleQuery*>(data);
  const char* name = info->dlpi_name ? info->dlpi_name : "";
  bool match = query->name ? std::strcmp(name, query->name) == 0
                           : Holds(info, query->address);
  if (!match) return 0;
  query->found_name = name;
  query->base = info->dlpi_addr;
  query->found = true;
  return 1;
}

}  // namespace

std::string Demangle(const char* mangled) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> text(
      abi::__cxa_demangle(mangled, nullptr, nullptr, &status), &std::free);
  return status == 0 && text ? std::string(text.get()) : std::string(mangled);
}

CodeLocation Locate(const void* address) {
  ModuleQuery query;
  query.address = reinterpret_cast<uintptr_t>(address);
  dl_iterate_phdr(&FindModule, &query);
  if (!query.found) {
    throw Error(ErrorCode::kInvalidArgument,
                "cannot ship this function: its code lies in no loaded module");
  }
  return CodeLocation{query.found_name, query.address - query.base};
}

const void* Resolve(const CodeLocation& location) {
  ModuleQuery query;
  query.name = location.module.c_str();
  dl_iterate_phdr(&FindModule, &query);
  if (!query.found) {
    throw Error(ErrorCode::kNotFound, "module '" + location.module +
                                          "' holding a task's function is not "
                                          "loaded in this worker");
  }
  return reinterpret_cast<const void*>(query.base + location.offset);
}

}  // namespace tern::internal
