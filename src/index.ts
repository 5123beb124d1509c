/**
 * effect-anyio: AnyIO's structured concurrency on Effect v4 fibers. AnyIO's names, in camelCase,
 * at the package root; each public module is also its own entry point, to import as a namespace
 * (`import * as TaskGroup from "effect-anyio/TaskGroup"`).
 *
 * @since 0.1.0
 */

// streams (issue 16): buffered streams here; stapled and text streams in their places below
export {
  BufferedByteReceiveStream,
  BufferedByteStream,
  BufferedConnectable,
  type BufferedReceiveError,
  type ReceiveExactlyError,
  type ReceiveUntilError
} from "./BufferedStream.ts"
export {
  type CancelReason,
  type CancelScope,
  type CancelScopeOptions,
  cancelScope,
  type FailAfterOptions,
  type Failing,
  failAfter,
  failAt,
  type MoveOnOptions,
  type MovingOn,
  makeCancelScope,
  moveOnAfter,
  moveOnAt,
  type ScopeBody
} from "./CancelScope.ts"
export { CapacityLimiter, type CapacityLimiterStatistics } from "./CapacityLimiter.ts"
export { Condition, type ConditionStatistics } from "./Condition.ts"
// net: DNS, sockets, TCP, Unix, UDP, TLS, listeners
export { type AsConnectableOptions, asConnectable, type ConnectableLike } from "./Connectable.ts"
export {
  dumpTaskTree,
  getCurrentTask,
  getRunningTasks,
  type TaskInfo,
  TaskTracing,
  waitAllTasksBlocked
} from "./Debugging.ts"
export {
  type AddrInfo,
  AddrInfoFlag,
  type GetAddrInfoOptions,
  getaddrinfo,
  getnameinfo,
  NameInfoFlag,
  NameResolver,
  type ResolvedAddress
} from "./Dns.ts"
export {
  BrokenResourceError,
  BrokenWorkerProcess,
  BrokenWorkerThread,
  BusyResourceError,
  ClosedResourceError,
  ConnectionFailed,
  DelimiterNotFound,
  EndOfStream,
  IncompleteRead,
  InvalidArgumentError,
  OSError,
  RuntimeError,
  SSLError,
  TaskCancelled,
  TaskFailed,
  TaskNotFinished,
  TimeoutError,
  TypedAttributeLookupError,
  UncloneableValue,
  UnicodeError,
  WorkerFunctionNotFound,
  WouldBlock
} from "./Errors.ts"
export { Event, type EventStatistics } from "./Event.ts"
export {
  type CancelledTask,
  catchMembers,
  catchMembersByTag,
  catchMembersIf,
  Defect,
  ExceptionGroup,
  fromCause as exceptionGroupFromCause,
  type GroupLeaves,
  type GroupOf,
  type GroupOfLeaves,
  isExceptionGroup,
  type LeafMember,
  type Leaves,
  type MatchedGroup,
  type MatchTag,
  type Member,
  type MemberHandlers,
  type NonGroupErrors,
  type RemainingError,
  type TaskOrigin,
  unwrapSingle
} from "./ExceptionGroup.ts"
export {
  AsyncFile,
  type ContentOf,
  type FileError,
  type FileLike,
  type OpenFileOptions,
  type OpenMode,
  openFile,
  type WrapFileOptions,
  wrapFile
} from "./FileIO.ts"
export {
  FileReadStream,
  type FileReceiveError,
  type FileSendError,
  FileStreamAttribute,
  FileWriteStream
} from "./FileStream.ts"
export * as fromThread from "./FromThread.ts"
export { Lock, type LockOptions, type LockStatistics } from "./Lock.ts"
export {
  createMemoryObjectStream,
  type MemoryObjectReceiveStream,
  type MemoryObjectSendStream,
  type MemoryObjectStreamStatistics
} from "./MemoryObjectStream.ts"
export { MultiListener } from "./MultiListener.ts"
export {
  type GlobOptions,
  Path,
  type PathOptions,
  type PathSegment,
  type TextOptions,
  type WalkEntry
} from "./Path.ts"
export {
  CalledProcessError,
  type Command,
  CompletedProcess,
  type FileDescriptorLike,
  openProcess,
  type Pipes,
  type PipesOf,
  type Process,
  type ProcessOptions,
  type RunProcessOptions,
  runProcess,
  type StderrOption,
  type StdioOption
} from "./Process.ts"
export { ResourceGuard } from "./ResourceGuard.ts"
export { type Run, type RunOptions, type RunWithOptions, run } from "./Run.ts"
export {
  type BatchingSchedulerOptions,
  batchingSchedulerLayer,
  defaultScheduler,
  makeBatchingScheduler,
  withBatchingScheduler
} from "./Scheduler.ts"
export { Semaphore, type SemaphoreOptions, type SemaphoreStatistics } from "./Semaphore.ts"
// proc: signals, subprocesses and the process-level run()
export { openSignalReceiver, type Signal, type SignalReceiver } from "./Signals.ts"
export {
  AddressFamily,
  type IPAddressFamily,
  type IPSockAddr,
  type RawSocket,
  type SockAddr,
  SocketAttribute,
  SocketKind,
  SocketListener,
  SocketStream,
  type SocketStreamError,
  type UnixAddresses
} from "./Sockets.ts"
export { type SendNowaitCapable, StapledByteStream, StapledObjectStream } from "./StapledStream.ts"
export type { AcceptError, Listener } from "./Streams.ts"
export {
  type AnyByteReceiveStream,
  type AnyByteSendStream,
  type AnyByteStream,
  type AnyUnreliableByteReceiveStream,
  type AnyUnreliableByteSendStream,
  type AnyUnreliableByteStream,
  type AsyncResource,
  type ByteReceiveStream,
  ByteReceiveStreamBase,
  type ByteSendStream,
  ByteSendStreamBase,
  type ByteStream,
  ByteStreamBase,
  type ByteStreamConnectable,
  type ObjectReceiveStream,
  ObjectReceiveStreamBase,
  type ObjectSendStream,
  ObjectSendStreamBase,
  type ObjectStream,
  ObjectStreamBase,
  type ObjectStreamConnectable,
  type ReceiveError,
  ResourceBase,
  receiveForEach,
  receiveStream,
  type SendError,
  sendSink,
  type UnreliableObjectReceiveStream,
  type UnreliableObjectSendStream,
  type UnreliableObjectStream
} from "./Streams.ts"
export {
  type AmapOptions,
  amap,
  asCompleted,
  type Collected,
  type CollectedResults,
  collectFor,
  collectUntil,
  type FirstSuccessOptions,
  firstSuccess,
  type GatherInput,
  type GatherResult,
  gather,
  quorum,
  type StructuredError
} from "./Structured.ts"
export {
  createTaskGroup,
  type Spawned,
  type SpawnedErrors,
  type SpawnOptions,
  type StartOptions,
  type TaskGroup,
  type TaskGroupError,
  type TaskHandle,
  type TaskHandleStatus,
  type TaskStatus,
  taskStatusIgnored,
  type WithoutSpawned
} from "./TaskGroup.ts"
// services: task groups owned by a Scope or a Layer
export {
  CurrentTaskGroup,
  createTaskGroupScoped,
  type ScopedTaskGroup,
  surfaceTaskGroupFailures,
  taskGroupLayer
} from "./TaskGroupService.ts"
export {
  type ConnectTcpOptions,
  type ConnectTcpTlsOptions,
  type ConnectTcpWithTls,
  type CreateTcpListenerOptions,
  connectTcp,
  createTcpListener,
  TCPConnectable
} from "./Tcp.ts"
export {
  TextConnectable,
  type TextErrors,
  TextReceiveStream,
  TextSendStream,
  TextStream,
  type TextStreamOptions
} from "./TextStream.ts"
export {
  cancelShieldedCheckpoint,
  checkpoint,
  checkpointIfCancelled,
  currentEffectiveDeadline,
  currentTime,
  type Seconds,
  sleep,
  sleepForever,
  sleepUntil
} from "./Time.ts"
export {
  TLSAttribute,
  TLSConnectable,
  type TLSConnectableOptions,
  TLSListener,
  type TLSListenerOptions,
  type TLSOptions,
  TLSStream,
  type TLSStreamError,
  type TLSStreamOptions,
  type TLSWrapError
} from "./Tls.ts"
export * as toProcess from "./ToProcess.ts"
export * as toThread from "./ToThread.ts"
export {
  type AttributeValue,
  attributeMap,
  emptyAttributes,
  lookupAttribute,
  type TypedAttribute,
  type TypedAttributeMap,
  type TypedAttributeProvider,
  typedAttribute,
  typedAttributeSet
} from "./TypedAttribute.ts"
export {
  ConnectedUDPSocket,
  type ConnectedUdpSocketOptions,
  createConnectedUdpSocket,
  createUdpSocket,
  type UDPError,
  type UDPPacket,
  UDPSocket,
  type UdpSocketOptions
} from "./Udp.ts"
export {
  type CreateUnixListenerOptions,
  connectUnix,
  createUnixListener,
  UNIXConnectable,
  type UnixPath
} from "./Unix.ts"
export {
  type AnyFunction,
  type ArgsOf,
  isWorkerFunction,
  moduleUrlOf,
  type ResultOf,
  type WorkerFunction,
  type WorkerModule,
  workerFunction,
  workerModule
} from "./WorkerFunction.ts"
