import DataLoader from 'dataloader';

/**
 * One statement for many requests: the calls made during one turn of the event loop are sent as a
 * single batch when the turn ends. Under load the requests that reach the same step together (their
 * database or Redis answers arrive in one read) share a round trip and a commit; a lone call waits
 * only for the end of the current turn. Each caller still awaits its own result, so what it sees
 * (durable before it goes on, or an error) is what a statement of its own would give it.
 *
 * At most `inFlight` batches of one batcher run at once; calls made meanwhile gather into the next
 * batch, sent as soon as one returns (group commit). So the busier the database, the larger the
 * batches and the fewer the round trips, with no timer: an idle system sends at once.
 */
export function batched<In, Out>(
  // An Error in place of an item's result fails that item's caller alone.
  run: (items: readonly In[]) => Promise<(Out | Error)[]>,
  options: { maxBatchSize?: number; inFlight?: number } = {},
): (item: In) => Promise<Out> {
  const inFlight = options.inFlight ?? IN_FLIGHT;
  let running = 0;
  const waiting: (() => void)[] = [];
  const loader = new DataLoader<In, Out>(
    async (items) => {
      running++;
      try {
        return await run(items);
      } finally {
        running--;
        waiting.shift()?.();
      }
    },
    {
      cache: false,
      maxBatchSize: options.maxBatchSize ?? MAX_BATCH,
      // Up to the end of the event loop's current phase, not only the current microtasks: the other
      // requests whose answers arrived in the same read get to join. The batch stays open (calls
      // keep joining it) until it is dispatched.
      batchScheduleFn: (dispatch) =>
        setImmediate(() => (running < inFlight ? dispatch() : waiting.push(dispatch))),
    },
  );
  return (item) => loader.load(item);
}

/** Keeps a batch's arrays and its statement's parameters small. */
const MAX_BATCH = 256;
/**
 * Batches of one batcher at once: enough that a slow one does not hold every caller back, few
 * enough that calls gather while they run. At 50 buyers (`npm run bench -- --parts purchase`,
 * interleaved), 1, 2 and 4 each made 850–950 purchases a second against 750–860 unbounded.
 */
const IN_FLIGHT = 2;
