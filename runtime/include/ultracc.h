/*
 * ultracc.h — the public C API of ultracc, a collective-communication runtime that emulates a
 * Trainium3-class cluster on Linux hosts.
 *
 * The API is shaped like NCCL's: communicators of ranks, collectives on buffers, ordered streams,
 * result codes. Every function returns an ultraccResult_t; no C++ exception ever crosses this
 * header. When a call fails, ultraccGetLastError() gives the detailed message (it names the
 * argument, rank or peer at fault).
 *
 * Two modes, one engine:
 *  - daemon mode: ranks started by `ultracc launch` call ultraccCommInitFromEnv(); collectives are
 *    handed to the node daemon (ultraccd) through shared memory and run there;
 *  - embedded mode: any process calling ultraccCommInitRank() with a unique id passed out of band
 *    (as with NCCL) runs the same engine in-process.
 */
#ifndef ULTRACC_H_
#define ULTRACC_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Marks the exported functions (the library hides every other symbol). */
#if defined(__GNUC__)
#define ULTRACC_EXPORT __attribute__((visibility("default")))
#else
#define ULTRACC_EXPORT
#endif

#define ULTRACC_MAJOR 0
#define ULTRACC_MINOR 1
#define ULTRACC_PATCH 0
/** Version as one integer: major*10000 + minor*100 + patch. */
#define ULTRACC_VERSION_CODE (ULTRACC_MAJOR * 10000 + ULTRACC_MINOR * 100 + ULTRACC_PATCH)

/** Result codes; values follow NCCL's ncclResult_t. */
typedef enum {
  ultraccSuccess = 0,
  ultraccSystemError = 2,      /**< an OS call failed (memory, sockets, processes) */
  ultraccInternalError = 3,    /**< a bug in ultracc */
  ultraccInvalidArgument = 4,  /**< a bad argument: null pointer, unknown dtype, rank out of range */
  ultraccInvalidUsage = 5,     /**< a call that is not allowed now, or ranks that disagree */
  ultraccRemoteError = 6,      /**< another rank, a daemon or the network failed */
  ultraccInProgress = 7,       /**< the operation has not finished yet */
  ultraccTimeout = 8           /**< a wait passed its deadline */
} ultraccResult_t;

/** Element types; values follow NCCL's ncclDataType_t. */
typedef enum {
  ultraccInt8 = 0,
  ultraccUint8 = 1,
  ultraccInt32 = 2,
  ultraccUint32 = 3,
  ultraccInt64 = 4,
  ultraccUint64 = 5,
  ultraccFloat16 = 6,
  ultraccFloat32 = 7,
  ultraccFloat64 = 8,
  ultraccBfloat16 = 9,
  ultraccFloat8e4m3 = 10,
  ultraccFloat8e5m2 = 11
} ultraccDataType_t;

/** Reduction operators; values follow NCCL's ncclRedOp_t. Avg sums, then divides by the number of
 * ranks once at the end (integer types: truncating division, as NCCL). */
typedef enum {
  ultraccSum = 0,
  ultraccProd = 1,
  ultraccMax = 2,
  ultraccMin = 3,
  ultraccAvg = 4
} ultraccRedOp_t;

/** Opaque handles. */
typedef struct ultraccComm* ultraccComm_t;
typedef struct ultraccStream* ultraccStream_t;

#define ULTRACC_UNIQUE_ID_BYTES 128
/** Identifies one communicator being created; made by ultraccGetUniqueId on one rank and passed to
 * the others out of band (a file, MPI_Bcast, an environment variable). Plain bytes: copy freely. */
typedef struct {
  char internal[ULTRACC_UNIQUE_ID_BYTES];
} ultraccUniqueId;

/** Name of a result code, e.g. "invalid argument". Never NULL. */
ULTRACC_EXPORT const char* ultraccGetErrorString(ultraccResult_t result);

/** Detailed message of the last failed call on `comm` (or of the calling thread's last failed call
 * when `comm` is NULL or the failure happened before a communicator existed). Empty string when
 * there is none. The pointer stays valid until the next call on the same comm or thread. */
ULTRACC_EXPORT const char* ultraccGetLastError(ultraccComm_t comm);

/** Stores ULTRACC_VERSION_CODE of the library in *version. */
ULTRACC_EXPORT ultraccResult_t ultraccGetVersion(int* version);

/** Creates a unique id. The calling process hosts the rendezvous for communicators created with it
 * (it must stay alive until every rank has finished ultraccCommInitRank). The id carries the
 * address given by ULTRACC_BOOTSTRAP_HOST (default 127.0.0.1). */
ULTRACC_EXPORT ultraccResult_t ultraccGetUniqueId(ultraccUniqueId* unique_id);

/** Creates a communicator of `nranks` ranks in this process, as rank `rank`; all ranks call it with
 * the same id. Blocks until every rank has joined or ULTRACC_TIMEOUT_MS passes (ultraccTimeout).
 * Runs the collective engine in-process (embedded mode). */
ULTRACC_EXPORT ultraccResult_t ultraccCommInitRank(ultraccComm_t* comm, int nranks, ultraccUniqueId unique_id,
                                    int rank);

/** Creates the world communicator of a rank started by `ultracc launch` (daemon mode), from the
 * ULTRACC_* variables the launcher sets. ultraccInvalidUsage when they are missing. */
ULTRACC_EXPORT ultraccResult_t ultraccCommInitFromEnv(ultraccComm_t* comm);

/** Number of ranks in `comm`. */
ULTRACC_EXPORT ultraccResult_t ultraccCommCount(ultraccComm_t comm, int* count);
/** This process's rank in `comm`. */
ULTRACC_EXPORT ultraccResult_t ultraccCommUserRank(ultraccComm_t comm, int* rank);

/** Waits for every operation issued on `comm` to finish; afterwards only ultraccCommDestroy is
 * allowed. Returns the first error any of them met. */
ULTRACC_EXPORT ultraccResult_t ultraccCommFinalize(ultraccComm_t comm);
/** Releases `comm` (finalizing it first if needed). */
ULTRACC_EXPORT ultraccResult_t ultraccCommDestroy(ultraccComm_t comm);
/** Stops `comm` at once: pending and future operations fail, peers see the loss, resources are
 * released. Never blocks longer than a short grace period. */
ULTRACC_EXPORT ultraccResult_t ultraccCommAbort(ultraccComm_t comm);
/** Stores in *async_error the first error an asynchronous operation on `comm` met, or
 * ultraccSuccess. */
ULTRACC_EXPORT ultraccResult_t ultraccCommGetAsyncError(ultraccComm_t comm, ultraccResult_t* async_error);

/** Streams are CPU-side ordered queues, like CUDA streams: operations issued on one stream run in
 * issue order, and the call that issues them returns at once. A NULL stream makes a call blocking.
 */
ULTRACC_EXPORT ultraccResult_t ultraccStreamCreate(ultraccStream_t* stream);
/** Waits for the stream's work, then releases it. */
ULTRACC_EXPORT ultraccResult_t ultraccStreamDestroy(ultraccStream_t stream);
/** Waits until every operation issued on `stream` has finished; returns the first error met by
 * one of them since the last synchronize. */
ULTRACC_EXPORT ultraccResult_t ultraccStreamSynchronize(ultraccStream_t stream);
/** ultraccSuccess if all work on `stream` has finished, ultraccInProgress if not, or the error met. */
ULTRACC_EXPORT ultraccResult_t ultraccStreamQuery(ultraccStream_t stream);

/** Allocates `bytes` of memory the node engine reads and writes with no copy (in daemon mode, from
 * the rank's shared arena of ULTRACC_ARENA_BYTES; elsewhere, ordinary 64-byte-aligned memory).
 * Buffers from anywhere else work too, staged with one extra copy. */
ULTRACC_EXPORT ultraccResult_t ultraccMemAlloc(void** ptr, size_t bytes);
/** Frees memory from ultraccMemAlloc; NULL is a no-op. */
ULTRACC_EXPORT ultraccResult_t ultraccMemFree(void* ptr);

/** All-reduce: every rank's `recvbuff` receives the element-wise reduction with `op` of all ranks'
 * `sendbuff` (`count` elements of `datatype`). In place when sendbuff == recvbuff. */
ULTRACC_EXPORT ultraccResult_t ultraccAllReduce(const void* sendbuff, void* recvbuff, size_t count,
                                 ultraccDataType_t datatype, ultraccRedOp_t op,
                                 ultraccComm_t comm, ultraccStream_t stream);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // ULTRACC_H_
