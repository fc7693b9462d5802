/* safetensors.h — read and write checkpoints in the Hugging Face safetensors format,
 * F32 only, validated so that a corrupt or hostile file gives one clear error line.
 * Not a general safetensors library: no other dtypes, no mmap, no lazy loading.
 *
 * Layout: u64 little-endian N | N bytes of UTF-8 JSON header | raw data, little-endian.
 * The header maps each tensor name to {"dtype":"F32","shape":[...],
 * "data_offsets":[begin,end]} (offsets into the data region), plus an optional
 * "__metadata__" object of string to string, where blocklab keeps the ArchSpec and
 * training state as JSON text (see json.h). Files are written in the reference
 * layout, so Python's safetensors should read them (layout checked in the unit test).
 *
 * Rules enforced by st_open, so everything after it may trust the file:
 *   - at least 8 bytes; 0 < N <= 100,000,000 and 8 + N <= file size;
 *   - the header is strict JSON (json_parse) whose root is an object; no key repeats;
 *   - "__metadata__", if present and not null, is an object of string values;
 *   - every other member is a tensor: an object with "dtype" == "F32" (other dtypes
 *     are refused by name), "shape" an array of at most ST_MAX_DIMS integers >= 0,
 *     "data_offsets" an array of two integers 0 <= begin <= end <= data size with
 *     end - begin == 4 * numel (no overflow); unknown extra fields are ignored, as
 *     the reference implementation does;
 *   - sorted by begin, the tensors tile the data region exactly: no overlap, no
 *     hole, nothing after the last one;
 *   - names and metadata contain no NUL byte (they are handed out as C strings).
 * Endianness: data is decoded from little-endian with a portable byte loop, so
 * reading and writing are correct on any host; on little-endian hosts the loop is
 * an identity copy that compilers reduce to plain moves. */
#ifndef BL_SAFETENSORS_H
#define BL_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

#define ST_MAX_DIMS        8
#define ST_MAX_HEADER_SIZE 100000000u   /* as the reference: bounds what a hostile N costs */

/* One tensor to write. The writer only reads it; it keeps no pointer afterwards.
 * ndim 0 is a scalar (one float). data holds numel floats in row-major order and may
 * be NULL only when numel is 0. */
typedef struct StTensor {
    const char *name;               /* UTF-8, unique, not "__metadata__" */
    int         ndim;               /* 0 .. ST_MAX_DIMS */
    int64_t     shape[ST_MAX_DIMS]; /* first ndim entries used, each >= 0 */
    const float *data;
} StTensor;

/* Writes n tensors (in this order in the header and the data) and n_meta metadata
 * pairs meta_keys[i] -> meta_vals[i] (any UTF-8 text; escaped here; the arrays may be
 * NULL when n_meta is 0) to path, atomically: the file is built as path.tmp.<pid>,
 * flushed, fsync'ed and renamed over path, then the directory is fsync'ed (best
 * effort). The header is padded with spaces to a multiple of 8 so the data region
 * starts 8-byte aligned, as the reference writer does.
 * Returns 0, or -1 with e naming the path and the cause (invalid tensor, strerror);
 * on failure path is untouched and no temporary file is left behind. */
int st_write(const char *path, const StTensor *ts, int n,
             const char *const *meta_keys, const char *const *meta_vals, int n_meta,
             BlError *e);

/* Removes, from path's folder, the temporary files ("NAME.tmp.<pid>") that
 * writers killed mid-write left behind: only plain files of this user whose
 * process is gone. st_write calls it before each write. Returns how many. */
int st_sweep_stale(const char *path);

/* An opened checkpoint: the validated header and all tensor data, decoded into
 * float-aligned memory it owns. Read-only; safe to read from several threads. */
typedef struct StFile StFile;

/* Reads path entirely and validates it (rules above). On success *out is owned by
 * the caller (st_close). On failure returns -1, *out is NULL and e holds one line
 * starting with the path, e.g.
 *   "ckpt.st: tensor 'wte' data_offsets [0, 400] exceed data size 200".
 * Memory: the header (<= 100 MB) and the data region (bounded by the real file size);
 * the data is only allocated once the header has been validated. */
int st_open(const char *path, StFile **out, BlError *e);

/* Same as st_open for a file image in memory (bytes[0..len), copied; the caller
 * keeps ownership of bytes). label stands for the path in messages. */
int st_open_mem(const void *bytes, size_t len, const char *label, StFile **out, BlError *e);

/* Frees everything st_open returned, including pointers handed out by the getters.
 * NULL-safe. */
void st_close(StFile *f);

/* Tensors in header order: st_name(f, i) for 0 <= i < st_count(f); NULL if out of
 * range. Names live until st_close. */
int         st_count(const StFile *f);
const char *st_name(const StFile *f, int i);

/* Looks a tensor up by name (binary search; f or name NULL counts as not found). On success returns 0 and fills any of
 * ndim, shape (entries past ndim set to 0), data that are not NULL; *data points to
 * numel floats owned by f, valid until st_close. On failure returns -1 with
 * "PATH: tensor 'x' not in checkpoint". */
int st_get(const StFile *f, const char *name, int *ndim, int64_t shape[ST_MAX_DIMS],
           const float **data, BlError *e);

/* Copies tensor `name` into dst after checking that its shape is exactly
 * shape[0..ndim) — the usual way to load a parameter. Returns 0, or -1 with e.g.
 * "PATH: tensor 'wte' has shape [50, 64], expected [65, 64]" (dst untouched). */
int st_load(const StFile *f, const char *name, int ndim, const int64_t *shape, float *dst,
            BlError *e);

/* Metadata: the value for key, or NULL if absent. Pairs in header order via
 * st_meta_key(f, i) for 0 <= i < st_meta_count(f). Strings live until st_close. */
const char *st_meta(const StFile *f, const char *key);
int         st_meta_count(const StFile *f);
const char *st_meta_key(const StFile *f, int i);

#endif
