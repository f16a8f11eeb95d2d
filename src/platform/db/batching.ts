import DataLoader from 'dataloader';

/**
 * One statement for many requests: the calls made during one turn of the event loop are sent as a
 * single batch when the turn ends. Under load the requests that reach the same step together (their
 * database or Redis answers arrive in one read) share a round trip and a commit; a lone call waits
 * only for the end of the current turn. Each caller still awaits its own result, so what it sees
 * (durable before it goes on, or an error) is what a statement of its own would give it.
 */
export function batched<In, Out>(
  // An Error in place of an item's result fails that item's caller alone.
  run: (items: readonly In[]) => Promise<(Out | Error)[]>,
  options: { maxBatchSize?: number } = {},
): (item: In) => Promise<Out> {
  const loader = new DataLoader<In, Out>(async (items) => run(items), {
    cache: false,
    maxBatchSize: options.maxBatchSize ?? MAX_BATCH,
    // Up to the end of the event loop's current phase, not only the current microtasks: the other
    // requests whose answers arrived in the same read get to join.
    batchScheduleFn: (dispatch) => setImmediate(dispatch),
  });
  return (item) => loader.load(item);
}

/** Keeps a batch's arrays and its statement's parameters small. */
const MAX_BATCH = 256;
