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

/** Settings of one embedded-mode communicator (ultraccCommInitRankConfig). Start from
 * ULTRACC_CONFIG_INITIALIZER and set only the fields wanted: a field left at its initial value
 * takes the process's environment, as ultraccCommInitRank does. Communicators split from this one
 * keep its settings. Every rank of a communicator passes the same algorithm (checked when it
 * joins: ultraccInvalidUsage naming both ranks otherwise). */
typedef struct {
  size_t size;           /* sizeof(ultraccConfig_t), set by ULTRACC_CONFIG_INITIALIZER */
  int timeout_ms;        /* bound on every wait of this communicator; 0: ULTRACC_TIMEOUT_MS */
  const char* algorithm; /* forces an algorithm as ULTRACC_ALGO does ("ring", "rhd", "tree",
                            "pairwise", "bruck", "direct", "auto"); NULL: ULTRACC_ALGO */
} ultraccConfig_t;

#define ULTRACC_CONFIG_INITIALIZER \
  { sizeof(ultraccConfig_t), 0, NULL }

/** ultraccCommInitRank with settings of this communicator's own; a NULL config is the same as
 * ultraccCommInitRank. ultraccInvalidArgument when a field is out of range or config->size is not
 * a size this library knows. */
ULTRACC_EXPORT ultraccResult_t ultraccCommInitRankConfig(ultraccComm_t* comm, int nranks,
                                                         ultraccUniqueId unique_id, int rank,
                                                         const ultraccConfig_t* config);

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
 * the rank's shared arena of ULTRACC_ARENA_BYTES; elsewhere, ordinary 64-byte-aligned memory, whose
 * blocks of 1 MiB and more are kept after ultraccMemFree, up to 1 GiB or 1/16 of the host's memory,
 * for the next allocation of about their size). Buffers from anywhere else work too, staged with
 * one extra copy. */
ULTRACC_EXPORT ultraccResult_t ultraccMemAlloc(void** ptr, size_t bytes);
/** Frees memory from ultraccMemAlloc; NULL is a no-op. */
ULTRACC_EXPORT ultraccResult_t ultraccMemFree(void* ptr);

/*
 * Collectives. Every rank of `comm` calls the same collectives in the same order with matching
 * arguments (counts, dtype, op, root). Before data moves, the ranks check that they agree (one
 * small all-reduce; ULTRACC_CHECK_CALLS=0 skips it): ranks that disagree all get
 * ultraccInvalidUsage (ultraccInvalidArgument between ranks of one node) naming the argument and
 * the values, instead of a hang, and the communicator stays usable. Without the check, a
 * disagreement fails as a transfer error or at ULTRACC_TIMEOUT_MS. Counts are in elements of
 * `datatype`. A NULL stream makes the call blocking; otherwise it is queued on the stream and
 * returns at once.
 *
 * Numerics: integer Sum/Prod wrap around; Avg sums, then divides once by the number of ranks
 * (integers: truncating division, as NCCL). float16, bfloat16 and both float8 types are widened
 * to float32, combined, and rounded to nearest-even once at the end of each reduction step, not
 * after every addition: a step that combines k inputs rounds once, and an algorithm of s steps
 * rounds s times. The result can therefore differ from a plain left-to-right sum in the narrow
 * type (it is usually closer to the exact value). With l the roundings of one node's local
 * reduce (0 with one rank per node, as in embedded mode; else 1 for the narrow types and ranks per
 * node - 1 for float32/float64) and u the type's unit roundoff (plus ranks per node * 2^-24 for
 * the narrow types' float32 sums): Sum is within ((1 + u)^s - 1) * sum|x_i| of the exact sum, s =
 * l + nodes - 1, plus half the smallest subnormal per rounding; Avg likewise with s + 1, divided
 * by nranks. The error is relative to sum|x_i|, not to the result, which can be far smaller when
 * inputs cancel. Prod is within (1 + u)^p - 1 relative error, p = nodes * l + nodes - 1 (every
 * rounding counts); Max and Min are exact. float32/float64 results depend on the algorithm's
 * order, like every parallel reduction.
 */

/** All-reduce: every rank's `recvbuff` receives the element-wise reduction with `op` of all ranks'
 * `sendbuff` (`count` elements of `datatype`). In place when sendbuff == recvbuff. */
ULTRACC_EXPORT ultraccResult_t ultraccAllReduce(const void* sendbuff, void* recvbuff, size_t count,
                                 ultraccDataType_t datatype, ultraccRedOp_t op,
                                 ultraccComm_t comm, ultraccStream_t stream);

/** Reduce-scatter: `sendbuff` holds nranks * recvcount elements; rank r's `recvbuff` receives block
 * r of the reduction. In place when recvbuff == sendbuff + rank * recvcount elements. */
ULTRACC_EXPORT ultraccResult_t ultraccReduceScatter(const void* sendbuff, void* recvbuff,
                                                    size_t recvcount, ultraccDataType_t datatype,
                                                    ultraccRedOp_t op, ultraccComm_t comm,
                                                    ultraccStream_t stream);

/** All-gather: every rank's `recvbuff` (nranks * sendcount elements) receives every rank's
 * `sendbuff` (sendcount elements) in rank order. In place when
 * sendbuff == recvbuff + rank * sendcount elements. */
ULTRACC_EXPORT ultraccResult_t ultraccAllGather(const void* sendbuff, void* recvbuff,
                                                size_t sendcount, ultraccDataType_t datatype,
                                                ultraccComm_t comm, ultraccStream_t stream);

/** All-to-all: block j (`count` elements) of rank i's `sendbuff` lands in block i of rank j's
 * `recvbuff`. Both buffers hold nranks * count elements and must not overlap. */
ULTRACC_EXPORT ultraccResult_t ultraccAllToAll(const void* sendbuff, void* recvbuff, size_t count,
                                               ultraccDataType_t datatype, ultraccComm_t comm,
                                               ultraccStream_t stream);

/** All-to-all with a count and displacement (in elements) per peer, for mixture-of-experts
 * dispatch: rank i sends sendcounts[j] elements from sendbuff + sdispls[j] to rank j, which
 * receives them at recvbuff + rdispls[i]; rank j's recvcounts[i] must equal rank i's sendcounts[j]
 * (a mismatch is ultraccInvalidUsage naming both ranks). Each array has nranks entries. */
ULTRACC_EXPORT ultraccResult_t ultraccAllToAllv(const void* sendbuff, const size_t* sendcounts,
                                                const size_t* sdispls, void* recvbuff,
                                                const size_t* recvcounts, const size_t* rdispls,
                                                ultraccDataType_t datatype, ultraccComm_t comm,
                                                ultraccStream_t stream);

/** Broadcast: `count` elements of the root's `sendbuff` land in every rank's `recvbuff`
 * (`sendbuff` is only read on the root). In place when sendbuff == recvbuff. */
ULTRACC_EXPORT ultraccResult_t ultraccBroadcast(const void* sendbuff, void* recvbuff, size_t count,
                                                ultraccDataType_t datatype, int root,
                                                ultraccComm_t comm, ultraccStream_t stream);

/** Reduce: the reduction of every rank's `sendbuff` lands in the root's `recvbuff` (`recvbuff` is
 * only written on the root and may be NULL elsewhere). */
ULTRACC_EXPORT ultraccResult_t ultraccReduce(const void* sendbuff, void* recvbuff, size_t count,
                                             ultraccDataType_t datatype, ultraccRedOp_t op,
                                             int root, ultraccComm_t comm, ultraccStream_t stream);

/** Barrier: returns (or completes on the stream) once every rank of `comm` has reached it. */
ULTRACC_EXPORT ultraccResult_t ultraccBarrier(ultraccComm_t comm, ultraccStream_t stream);

/** Point to point: the k-th ultraccSend from rank a to rank b matches the k-th ultraccRecv on b from
 * a; counts and dtypes must agree. Outside a group, a send may wait for its receive: to exchange
 * in both directions, or with many peers, issue the calls between ultraccGroupStart and
 * ultraccGroupEnd. */
ULTRACC_EXPORT ultraccResult_t ultraccSend(const void* sendbuff, size_t count,
                                           ultraccDataType_t datatype, int peer,
                                           ultraccComm_t comm, ultraccStream_t stream);
ULTRACC_EXPORT ultraccResult_t ultraccRecv(void* recvbuff, size_t count,
                                           ultraccDataType_t datatype, int peer,
                                           ultraccComm_t comm, ultraccStream_t stream);

/** Groups: operations issued by this thread between ultraccGroupStart and the matching
 * ultraccGroupEnd are only checked when issued and start together at ultraccGroupEnd, so any
 * number of sends and receives among any peers completes without deadlock. Groups nest; the
 * outermost ultraccGroupEnd issues. Operations of one communicator in a group run on the stream
 * of its first operation (all must use the same stream); with a NULL stream, ultraccGroupEnd
 * blocks until they finish. */
ULTRACC_EXPORT ultraccResult_t ultraccGroupStart(void);
ULTRACC_EXPORT ultraccResult_t ultraccGroupEnd(void);

/** Color that leaves a rank out of every new communicator in ultraccCommSplit. */
#define ULTRACC_SPLIT_NOCOLOR (-1)

/** Splits `comm`: ranks passing the same `color` form a new communicator, ordered by `key` (ties
 * by rank in `comm`). Collective over `comm`. A rank passing ULTRACC_SPLIT_NOCOLOR gets
 * *newcomm = NULL. Split communicators run their collectives between their ranks directly (the
 * engine in each rank process, over its own links), in daemon mode too: there the node daemon's
 * single-pass node reduction serves the world communicator only. */
ULTRACC_EXPORT ultraccResult_t ultraccCommSplit(ultraccComm_t comm, int color, int key,
                                                ultraccComm_t* newcomm);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // ULTRACC_H_
