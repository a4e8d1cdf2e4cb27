// The whole task DAG of a bound program, unrolled by brute force: the
// baseline the lazy analysis is checked against (program_analysis_test.cc)
// and timed against (bench/linalg_dependencies.cc).
//
// It reads the builder's representation directly and evaluates every
// expression itself, over a box of loop values larger than any loop, so it
// shares no code with the closed-form solvers of analysis.cc.
#pragma once

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "linalg/builder.h"
#include "linalg/program.h"

namespace tern::linalg::testing {

struct Unrolled {
  std::vector<Task> tasks;           // sorted
  std::map<Task, KernelCall> calls;  // blocks of every task
  std::map<BlockRef, Task> writer;   // block -> its one writer
  std::map<BlockRef, std::set<Task>> readers;
  std::map<Task, std::set<Task>> children, parents;
  std::vector<Task> starters;  // sorted
};

inline int64_t Eval(const Expr& e, const std::map<uint64_t, int64_t>& v) {
  int64_t out = e.constant();
  for (auto [id, c] : e.terms()) out += c * v.at(id);
  return out;
}

inline BlockRef EvalRef(const ProgramDef& def, const RefDef& ref,
                        const std::map<uint64_t, int64_t>& v) {
  BlockRef out{def.arrays[ref.array].name, {}};
  for (const Expr& e : ref.index) out.index.push_back(Eval(e, v));
  return out;
}

// Instances of statement s: every loop vector of [-2, box)^depth that
// satisfies the loop bounds and one conjunction of the guard.
inline void Instances(const ProgramDef& def, int s,
                      std::map<uint64_t, int64_t> v, int64_t box,
                      std::vector<std::vector<int64_t>>* out) {
  const StatementDef& st = def.statements[s];
  std::vector<int64_t> w(st.loop_vars.size(), -2);
  while (true) {
    for (size_t l = 0; l < w.size(); ++l) v[st.loop_vars[l]] = w[l];
    bool in = true;
    for (const Expr& atom : st.bounds) in = in && Eval(atom, v) >= 0;
    bool guard = false;
    for (const auto& conj : st.guard) {
      bool all = true;
      for (const Expr& atom : conj) all = all && Eval(atom, v) >= 0;
      guard = guard || all;
    }
    if (in && guard) {
      for (int64_t x : w) {
        if (x == -2 || x == box - 1) {
          throw std::logic_error("an instance on the edge of the box");
        }
      }
      out->push_back(w);
    }
    size_t l = w.size();
    while (l > 0 && ++w[l - 1] == box) w[--l] = -2;
    if (l == 0) return;
  }
}

inline Unrolled Unroll(const Program& program,
                       const std::map<std::string, int64_t>& parameters) {
  const ProgramDef& def = *program.definition();
  std::map<uint64_t, int64_t> v;
  int64_t box = 4;
  for (const auto& [id, name] : def.parameters) {
    v[id] = parameters.at(name);
    box = std::max(box, v[id] + 4);
  }
  Unrolled u;
  for (size_t s = 0; s < def.statements.size(); ++s) {
    std::vector<std::vector<int64_t>> ws;
    Instances(def, static_cast<int>(s), v, box, &ws);
    const StatementDef& st = def.statements[s];
    for (const auto& w : ws) {
      Task t{static_cast<int>(s), w};
      for (size_t l = 0; l < w.size(); ++l) v[st.loop_vars[l]] = w[l];
      KernelCall call{st.kernel, {}, {EvalRef(def, st.output, v)}};
      for (const RefDef& in : st.inputs) {
        call.inputs.push_back(EvalRef(def, in, v));
      }
      if (!u.writer.emplace(call.outputs[0], t).second) {
        throw std::logic_error("block written twice: " + t.Key());
      }
      for (const BlockRef& in : call.inputs) u.readers[in].insert(t);
      u.calls[t] = call;
      u.tasks.push_back(t);
    }
  }
  std::sort(u.tasks.begin(), u.tasks.end());
  for (const Task& t : u.tasks) {
    u.children[t];
    u.parents[t];
  }
  for (const Task& t : u.tasks) {
    for (const BlockRef& in : u.calls[t].inputs) {
      auto w = u.writer.find(in);
      if (w == u.writer.end() || w->second == t) continue;
      u.parents[t].insert(w->second);
      u.children[w->second].insert(t);
    }
  }
  for (const Task& t : u.tasks) {
    if (u.parents[t].empty()) u.starters.push_back(t);
  }
  return u;
}

}  // namespace tern::linalg::testing
