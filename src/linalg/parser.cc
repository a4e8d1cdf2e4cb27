// A recursive-descent parser that drives a ProgramBuilder. The tokenizer
// turns indentation into INDENT / DEDENT tokens; the parser calls the
// builder's For and If with lambdas that parse the nested blocks.
#include "linalg/parser.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <vector>

#include "linalg/builder.h"
#include "tern/errors.h"

namespace tern::linalg {
namespace {

enum class Kind { kName, kNumber, kPunct, kNewline, kIndent, kDedent, kEnd };

struct Token {
  Kind kind;
  std::string text;
  int line, column;
};

// An error already placed in the text, passed through enclosing blocks
// unchanged.
struct ParseError : Error {
  using Error::Error;
};

[[noreturn]] void Fail(size_t line, size_t column, const std::string& what) {
  throw ParseError(ErrorCode::kInvalidArgument,
                   "program text line " + std::to_string(line) + ", column " +
                       std::to_string(column) + ": " + what);
}

// Tokens of one line's content (after its indentation).
void LineTokens(std::string_view s, int line, size_t col,
                std::vector<Token>* out) {
  static const char* kTwo[] = {"==", "<=", ">="};
  while (col < s.size()) {
    char c = s[col];
    int column = static_cast<int>(col) + 1;
    if (c == '#') break;
    if (c == ' ') {
      ++col;
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t end = col;
      while (
          end < s.size() &&
          (std::isalnum(static_cast<unsigned char>(s[end])) || s[end] == '_')) {
        ++end;
      }
      out->push_back(
          {Kind::kName, std::string(s.substr(col, end - col)), line, column});
      col = end;
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      size_t end = col;
      while (end < s.size() && std::isdigit(static_cast<unsigned char>(s[end])))
        ++end;
      if (end - col > 15) Fail(line, column, "number too large");
      out->push_back(
          {Kind::kNumber, std::string(s.substr(col, end - col)), line, column});
      col = end;
    } else {
      std::string punct(1, c);
      for (const char* two : kTwo) {
        if (s.substr(col, 2) == two) punct = two;
      }
      if (std::string_view("()[],:=+-*<>").find(c) == std::string_view::npos) {
        Fail(line, column, std::string("unexpected character '") + c + "'");
      }
      out->push_back({Kind::kPunct, punct, line, column});
      col += punct.size();
    }
  }
}

std::vector<Token> Tokenize(std::string_view text) {
  std::vector<Token> out;
  std::vector<size_t> indents{0};
  int line = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view s = text.substr(0, nl);
    text = nl == std::string_view::npos ? "" : text.substr(nl + 1);
    ++line;
    size_t indent = s.find_first_not_of(' ');
    if (indent == std::string_view::npos || s[indent] == '#') continue;
    if (s[indent] == '\t') Fail(line, indent + 1, "tabs are not allowed");
    if (indent > indents.back()) {
      indents.push_back(indent);
      out.push_back({Kind::kIndent, "", line, static_cast<int>(indent) + 1});
    }
    while (indent < indents.back()) {
      indents.pop_back();
      out.push_back({Kind::kDedent, "", line, static_cast<int>(indent) + 1});
      if (indent > indents.back()) {
        Fail(line, indent + 1, "indentation matches no enclosing block");
      }
    }
    LineTokens(s, line, indent, &out);
    out.push_back({Kind::kNewline, "", line, static_cast<int>(s.size()) + 1});
  }
  for (size_t i = 1; i < indents.size(); ++i) {
    out.push_back({Kind::kDedent, "", line + 1, 1});
  }
  out.push_back({Kind::kEnd, "", line + 1, 1});
  return out;
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  Program Parse() {
    Expect(Kind::kName, "program");
    std::string name = Name("a program name");
    builder_.emplace(name);
    scopes_.emplace_back();
    Expect(Kind::kPunct, "(");
    if (!Accept(Kind::kPunct, ")")) {
      do {
        const Token& t = Peek();
        Define(t, builder_->Parameter(Name("a parameter")));
      } while (Accept(Kind::kPunct, ","));
      Expect(Kind::kPunct, ")");
    }
    Expect(Kind::kPunct, ":");
    Expect(Kind::kNewline, "");
    Expect(Kind::kIndent, "");
    while (Declaration()) {
    }
    Block();
    Expect(Kind::kEnd, "");
    return Guard(Peek(), [&] { return builder_->Build(); });
  }

 private:
  const Token& Peek(size_t ahead = 0) const {
    return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)];
  }
  bool Is(Kind kind, const std::string& text, size_t ahead = 0) const {
    const Token& t = Peek(ahead);
    return t.kind == kind && (text.empty() || t.text == text);
  }
  bool Accept(Kind kind, const std::string& text) {
    if (!Is(kind, text)) return false;
    ++pos_;
    return true;
  }
  static std::string Describe(const Token& t) {
    switch (t.kind) {
      case Kind::kNewline:
        return "the end of the line";
      case Kind::kIndent:
        return "an indented block";
      case Kind::kDedent:
        return "the end of a block";
      case Kind::kEnd:
        return "the end of the text";
      default:
        return "'" + t.text + "'";
    }
  }
  void Expect(Kind kind, const std::string& text) {
    if (Accept(kind, text)) return;
    std::string want = !text.empty()            ? "'" + text + "'"
                       : kind == Kind::kNewline ? "the end of the line"
                       : kind == Kind::kIndent  ? "an indented block"
                                                : "the end of the text";
    const Token& t = Peek();
    Fail(t.line, t.column, "expected " + want + ", found " + Describe(t));
  }
  std::string Name(const std::string& what) {
    const Token& t = Peek();
    if (t.kind != Kind::kName) {
      Fail(t.line, t.column, "expected " + what + ", found " + Describe(t));
    }
    ++pos_;
    return t.text;
  }

  // Runs a builder call, giving its errors this token's position.
  template <class F>
  auto Guard(const Token& at, F&& f) -> decltype(f()) {
    try {
      return f();
    } catch (const ParseError&) {
      throw;
    } catch (const Error& e) {
      Fail(at.line, at.column, e.what());
    }
  }

  void Define(const Token& at, const Expr& e) { scopes_.back()[at.text] = e; }
  std::optional<Expr> Lookup(const std::string& name) const {
    for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it) {
      auto found = it->find(name);
      if (found != it->end()) return found->second;
    }
    return std::nullopt;
  }

  // input A, B | output L | temporary S[3], T[3]
  bool Declaration() {
    const Token& t = Peek();
    if (t.kind != Kind::kName ||
        (t.text != "input" && t.text != "output" && t.text != "temporary")) {
      return false;
    }
    ++pos_;
    do {
      const Token& at = Peek();
      std::string name = Name("an array name");
      int dims = 2;
      if (t.text == "temporary") {
        Expect(Kind::kPunct, "[");
        const Token& n = Peek();
        Expect(Kind::kNumber, "");
        dims = static_cast<int>(std::min<int64_t>(std::stoll(n.text), 99));
        Expect(Kind::kPunct, "]");
      }
      arrays_[name] = Guard(at, [&] {
        return t.text == "input"    ? builder_->Input(name)
               : t.text == "output" ? builder_->Output(name)
                                    : builder_->Temporary(name, dims);
      });
    } while (Accept(Kind::kPunct, ","));
    Expect(Kind::kNewline, "");
    return true;
  }

  // Statements up to the end of the block.
  void Block() {
    do {
      Statement();
    } while (!Accept(Kind::kDedent, ""));
  }

  void Nested() {
    Expect(Kind::kPunct, ":");
    Expect(Kind::kNewline, "");
    Expect(Kind::kIndent, "");
    scopes_.emplace_back();
    Block();
    scopes_.pop_back();
  }

  void Statement() {
    const Token& t = Peek();
    if (Is(Kind::kName, "for")) return For();
    if (Is(Kind::kName, "if")) return If();
    if (t.kind == Kind::kName && Is(Kind::kPunct, "=", 1)) {  // scalar
      pos_ += 2;
      Expr value = Affine();
      Define(t, Guard(t, [&] { return builder_->Let(t.text, value); }));
      Expect(Kind::kNewline, "");
      return;
    }
    if (t.kind == Kind::kName && Is(Kind::kPunct, "[", 1)) return Call();
    Fail(t.line, t.column, "expected a statement, found " + Describe(t));
  }

  void For() {
    const Token& at = Peek();
    ++pos_;
    const Token& var = Peek();
    std::string name = Name("a loop variable");
    Expect(Kind::kName, "in");
    Expect(Kind::kName, "range");
    Expect(Kind::kPunct, "(");
    Expr lo = Affine();
    Expect(Kind::kPunct, ",");
    Expr hi = Affine();
    Expect(Kind::kPunct, ")");
    Guard(at, [&] {
      builder_->For(name, lo, hi, [&](Expr v) {
        scopes_.emplace_back();
        Define(var, v);
        Nested();
        scopes_.pop_back();
      });
    });
  }

  void If() {
    const Token& at = Peek();
    ++pos_;
    Cond cond = Comparison();
    while (Accept(Kind::kName, "and")) cond = cond && Comparison();
    Guard(at, [&] {
      builder_->If(
          cond, [&] { Nested(); },
          [&] {
            if (Accept(Kind::kName, "else")) Nested();
          });
    });
  }

  // X[i, j] = kernel(Y[...], ...)
  void Call() {
    const Token& at = Peek();
    Ref out = Reference();
    Expect(Kind::kPunct, "=");
    std::string kernel = Name("a kernel");
    std::vector<Ref> inputs;
    Expect(Kind::kPunct, "(");
    if (!Accept(Kind::kPunct, ")")) {
      do {
        inputs.push_back(Reference());
      } while (Accept(Kind::kPunct, ","));
      Expect(Kind::kPunct, ")");
    }
    Expect(Kind::kNewline, "");
    Guard(at, [&] { builder_->Call(kernel, out, inputs); });
  }

  Ref Reference() {
    const Token& at = Peek();
    std::string name = Name("an array");
    auto array = arrays_.find(name);
    if (array == arrays_.end()) {
      Fail(at.line, at.column, "unknown array '" + name + "'");
    }
    Ref ref = array->second();
    Expect(Kind::kPunct, "[");
    do {
      ref.index.push_back(Affine());
    } while (Accept(Kind::kPunct, ","));
    Expect(Kind::kPunct, "]");
    return ref;
  }

  Cond Comparison() {
    Expr a = Affine();
    const Token& op = Peek();
    Expect(Kind::kPunct, "");
    Expr b = Affine();
    if (op.text == "==") return a == b;
    if (op.text == "<") return a < b;
    if (op.text == "<=") return a <= b;
    if (op.text == ">") return a > b;
    if (op.text == ">=") return a >= b;
    Fail(op.line, op.column, "expected a comparison, found " + Describe(op));
  }

  Expr Affine() {
    Expr e = Term();
    while (Is(Kind::kPunct, "+") || Is(Kind::kPunct, "-")) {
      bool plus = Peek().text == "+";
      ++pos_;
      Expr t = Term();
      e = plus ? e + t : e - t;
    }
    return e;
  }

  Expr Term() {
    Expr e = Unary();
    while (Is(Kind::kPunct, "*")) {
      const Token& at = Peek();
      ++pos_;
      Expr f = Unary();
      e = Guard(at, [&] { return e * f; });
    }
    return e;
  }

  Expr Unary() {
    if (Accept(Kind::kPunct, "-")) return -Unary();
    const Token& t = Peek();
    ++pos_;
    if (t.kind == Kind::kNumber) return Expr(std::stoll(t.text));
    if (t.kind == Kind::kName) {
      std::optional<Expr> e = Lookup(t.text);
      if (!e) Fail(t.line, t.column, "unknown name '" + t.text + "'");
      return *e;
    }
    if (t.kind == Kind::kPunct && t.text == "(") {
      Expr e = Affine();
      Expect(Kind::kPunct, ")");
      return e;
    }
    Fail(t.line, t.column, "expected an expression, found " + Describe(t));
  }

  std::vector<Token> tokens_;
  size_t pos_ = 0;
  std::optional<ProgramBuilder> builder_;
  std::vector<std::map<std::string, Expr>> scopes_;
  std::map<std::string, Array> arrays_;
};

}  // namespace

Program ParseProgram(std::string_view text) {
  return Parser(Tokenize(text)).Parse();
}

}  // namespace tern::linalg
