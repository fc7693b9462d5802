/* linalg.h — small dense linear algebra in double for the probes (matrix
 * products go through OpenBLAS; this is what BLAS does not have). */
#ifndef BL_LINALG_H
#define BL_LINALG_H

/* Eigenvalues (unordered) of the symmetric n×n row-major matrix a into ev[n];
 * a is destroyed; work holds 2n doubles. */
void linalg_sym_eigenvalues(double *a, int n, double *ev, double *work);

#endif
