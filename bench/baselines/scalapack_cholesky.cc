// The ScaLAPACK baseline of bench/linalg_bench.cc: pdpotrf on the same
// random SPD matrix tern factors (linalg/random_entry.h), distributed
// block-cyclically over all MPI ranks (a 1 x P grid), on one thread each.
//
//   mpirun -np 2 scalapack_cholesky N NB RUNS SEED
// prints one line of JSON per run: {"seconds": S, "n": N, "ranks": P}.
#include <mpi.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "linalg/random_entry.h"

extern "C" {
void Cblacs_pinfo(int* rank, int* ranks);
void Cblacs_get(int context, int what, int* value);
void Cblacs_gridinit(int* context, const char* order, int rows, int cols);
void Cblacs_gridinfo(int context, int* rows, int* cols, int* row, int* col);
void Cblacs_gridexit(int context);
int numroc_(const int* n, const int* nb, const int* proc, const int* first,
            const int* procs);
void descinit_(int* desc, const int* m, const int* n, const int* mb,
               const int* nb, const int* rsrc, const int* csrc,
               const int* context, const int* lld, int* info);
void pdpotrf_(const char* uplo, const int* n, double* a, const int* ia,
              const int* ja, const int* desc, int* info);
}

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  if (argc != 5) {
    std::fprintf(stderr, "usage: scalapack_cholesky N NB RUNS SEED\n");
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  int n = std::atoi(argv[1]), nb = std::atoi(argv[2]),
      runs = std::atoi(argv[3]);
  uint64_t seed = std::strtoull(argv[4], nullptr, 10);
  int rank = 0, ranks = 1, context = 0, zero = 0, one = 1;
  Cblacs_pinfo(&rank, &ranks);
  Cblacs_get(-1, 0, &context);
  Cblacs_gridinit(&context, "Row", 1, ranks);
  int grid_rows, grid_cols, my_row, my_col;
  Cblacs_gridinfo(context, &grid_rows, &grid_cols, &my_row, &my_col);
  int local_rows = numroc_(&n, &nb, &my_row, &zero, &grid_rows);
  int local_cols = numroc_(&n, &nb, &my_col, &zero, &grid_cols);
  int lld = local_rows > 1 ? local_rows : 1, desc[9], info = 0;
  descinit_(desc, &n, &n, &nb, &nb, &zero, &zero, &context, &lld, &info);
  std::vector<double> a(size_t(lld) * local_cols);
  for (int run = 0; run < runs; ++run) {
    // Column-major local storage of the block-cyclic distribution.
    for (int lc = 0; lc < local_cols; ++lc) {
      int gc = (lc / nb * grid_cols + my_col) * nb + lc % nb;
      for (int lr = 0; lr < local_rows; ++lr) {
        int gr = (lr / nb * grid_rows + my_row) * nb + lr % nb;
        a[size_t(lc) * lld + lr] =
            tern::linalg::RandomSpdEntry(seed, n, gr, gc);
      }
    }
    MPI_Barrier(MPI_COMM_WORLD);
    double start = MPI_Wtime();
    pdpotrf_("L", &n, a.data(), &one, &one, desc, &info);
    MPI_Barrier(MPI_COMM_WORLD);
    double seconds = MPI_Wtime() - start;
    if (info != 0) {
      std::fprintf(stderr, "pdpotrf failed: info %d\n", info);
      MPI_Abort(MPI_COMM_WORLD, 1);
    }
    if (rank == 0) {
      std::printf("{\"seconds\": %.4f, \"n\": %d, \"ranks\": %d}\n", seconds, n,
                  ranks);
      std::fflush(stdout);
    }
  }
  Cblacs_gridexit(context);
  MPI_Finalize();
}
