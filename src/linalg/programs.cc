// The programs tern ships, written with ProgramBuilder. Each is numpywren's
// LAmbdaPACK program with the first version of a chain read from the input
// array under `if k == 0` (S[i, j, 0] is A[i, j]), and the last step of an
// accumulation writing the output under `if k == last`.
#include "linalg/builder.h"
#include "linalg/program.h"

namespace tern::linalg {
namespace {

struct Step {
  Expr i, j, k, last;
};

// Step k of C[i, j] = sum_k x_k y_k: `kernel`(x, y) for k == 0, then
// `kernel`_acc(T[i, j, k], x, y); into T[i, j, k + 1], or C[i, j] on the
// last step.
void Accumulate(ProgramBuilder& b, const Step& s, const Array& c,
                const Array& t, const std::string& kernel, const Ref& x,
                const Ref& y) {
  auto write = [&](const std::string& name, const std::vector<Ref>& inputs) {
    b.If(
        s.k == s.last, [&] { b.Call(name, c(s.i, s.j), inputs); },
        [&] { b.Call(name, t(s.i, s.j, s.k + 1), inputs); });
  };
  b.If(
      s.k == 0,
      [&] {
        write(kernel, {x, y});
      },
      [&] {
        write(kernel + "_acc", {t(s.i, s.j, s.k), x, y});
      });
}

}  // namespace

// C[i, j] = sum_k A[i, k] B[k, j]; T[i, j, k + 1] holds the first k + 1
// terms.
//
//   for i in range(M), j in range(N), k in range(K):
//     if k == 0:  if k == K - 1: C[i, j] = gemm(A[i, k], B[k, j])
//                 else:          T[i, j, 1] = gemm(A[i, k], B[k, j])
//     else:       if k == K - 1: C[i, j] = gemm_acc(T[i, j, k], A.., B..)
//                 else:          T[i, j, k + 1] = gemm_acc(T[i, j, k], ..)
Program GemmProgram() {
  ProgramBuilder b("gemm");
  Expr m = b.Parameter("M"), n = b.Parameter("N"), kk = b.Parameter("K");
  Array a = b.Input("A"), bm = b.Input("B"), c = b.Output("C");
  Array t = b.Temporary("T", 3);
  Expr last = b.Let("last", kk - 1);
  b.For("i", 0, m, [&](Expr i) {
    b.For("j", 0, n, [&](Expr j) {
      b.For("k", 0, kk, [&](Expr k) {
        Accumulate(b, {i, j, k, last}, c, t, "gemm", a(i, k), bm(k, j));
      });
    });
  });
  return b.Build();
}

// numpywren's Cholesky: S[i, j, k] is block (i, j) after k trailing updates.
//
//   for k in range(N):
//     L[k, k] = chol(S[k, k, k])
//     for i in range(k + 1, N):
//       L[i, k] = trsm(L[k, k], S[i, k, k])
//       for j in range(k + 1, i + 1):
//         S[i, j, k + 1] = syrk(S[i, j, k], L[i, k], L[j, k])
// with S[., ., 0] read from A.
Program CholeskyProgram() {
  ProgramBuilder b("cholesky");
  Expr n = b.Parameter("N");
  Array a = b.Input("A"), l = b.Output("L"), s = b.Temporary("S", 3);
  // S[i, j, k], or A[i, j] for the first version.
  auto version = [&](Expr k, const std::function<void(const Ref&)>& call,
                     Expr i, Expr j) {
    b.If(
        k == 0, [&] { call(a(i, j)); }, [&] { call(s(i, j, k)); });
  };
  b.For("k", 0, n, [&](Expr k) {
    version(
        k, [&](const Ref& akk) { b.Call("chol", l(k, k), {akk}); }, k, k);
    b.For("i", k + 1, n, [&](Expr i) {
      version(
          k,
          [&](const Ref& aik) {
            b.Call("trsm", l(i, k), {l(k, k), aik});
          },
          i, k);
      b.For("j", k + 1, i + 1, [&](Expr j) {
        version(
            k,
            [&](const Ref& aij) {
              b.Call("syrk", s(i, j, k + 1), {aij, l(i, k), l(j, k)});
            },
            i, j);
      });
    });
  });
  return b.Build();
}

// Forward substitution, one block column j of B at a time: R[i, j, k] is
// B[i, j] - sum_{k' < k} L[i, k'] X[k', j].
//
//   for j in range(M), i in range(N):
//     for k in range(i):
//       R[i, j, k + 1] = gemm_sub(R[i, j, k], L[i, k], X[k, j])
//     X[i, j] = trsm_left(L[i, i], R[i, j, i])
// with R[., ., 0] read from B.
Program TrsmProgram() {
  ProgramBuilder b("trsm");
  Expr n = b.Parameter("N"), m = b.Parameter("M");
  Array l = b.Input("L"), bm = b.Input("B"), x = b.Output("X");
  Array r = b.Temporary("R", 3);
  b.For("j", 0, m, [&](Expr j) {
    b.For("i", 0, n, [&](Expr i) {
      b.For("k", 0, i, [&](Expr k) {
        b.If(
            k == 0,
            [&] {
              b.Call("gemm_sub", r(i, j, k + 1), {bm(i, j), l(i, k), x(k, j)});
            },
            [&] {
              b.Call("gemm_sub", r(i, j, k + 1),
                     {r(i, j, k), l(i, k), x(k, j)});
            });
      });
      b.If(
          i == 0,
          [&] {
            b.Call("trsm_left", x(i, j), {l(i, i), bm(i, j)});
          },
          [&] {
            b.Call("trsm_left", x(i, j), {l(i, i), r(i, j, i)});
          });
    });
  });
  return b.Build();
}

// The lower blocks of C = A A^T (diagonal blocks whole), accumulated over
// the K block columns of A as GEMM is.
//
//   for i in range(N), j in range(i + 1), k in range(K):
//     C[i, j] or T[i, j, k + 1] = gemm_nt(A[i, k], A[j, k]) when k == 0,
//                                 gemm_nt_acc(T[i, j, k], ...) otherwise
Program SyrkProgram() {
  ProgramBuilder b("syrk");
  Expr n = b.Parameter("N"), kk = b.Parameter("K");
  Array a = b.Input("A"), c = b.Output("C"), t = b.Temporary("T", 3);
  Expr last = b.Let("last", kk - 1);
  b.For("i", 0, n, [&](Expr i) {
    b.For("j", 0, i + 1, [&](Expr j) {
      b.For("k", 0, kk, [&](Expr k) {
        Accumulate(b, {i, j, k, last}, c, t, "gemm_nt", a(i, k), a(j, k));
      });
    });
  });
  return b.Build();
}

}  // namespace tern::linalg
