/**
 * Item-by-item iteration over paged answers, holding one page at a time. Hand-written rather
 * than an async generator: `yield*` over a page costs a generator resumption per item, while
 * here an item from the buffered page is one already-resolved promise.
 */

/** The next page's items, or undefined when there are no more pages. */
export type PageSource<T> = () => Promise<readonly T[] | undefined>;

const EMPTY: readonly never[] = [];

export class PageIterator<T> implements AsyncIterableIterator<T> {
  #page: readonly T[] = EMPTY;
  #index = 0;
  #finished = false;
  #pending: Promise<void> | undefined;
  readonly #source: PageSource<T>;

  constructor(source: PageSource<T>) {
    this.#source = source;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#index < this.#page.length) {
      return Promise.resolve({ value: this.#page[this.#index++] as T, done: false });
    }
    if (this.#finished) return Promise.resolve({ value: undefined, done: true });
    // Callers that do not wait for one item before asking for the next share one fetch.
    this.#pending ??= this.#fill();
    return this.#pending.then(() => this.next());
  }

  async #fill(): Promise<void> {
    this.#page = EMPTY; // let the consumed page go while the next one loads
    this.#index = 0;
    try {
      const page = await this.#source();
      if (this.#finished) return; // return() came first
      if (page === undefined) this.#finished = true;
      else this.#page = page;
    } catch (error) {
      this.#finished = true;
      throw error;
    } finally {
      this.#pending = undefined;
    }
  }

  /** Called by `break` (and by hand): no further pages are fetched. */
  return(value?: unknown): Promise<IteratorResult<T>> {
    this.#finished = true;
    this.#page = EMPTY;
    this.#index = 0;
    return Promise.resolve({ value: value as T, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/** The platform's paging: page after page from `firstPageNo`, until `hasMore` is false or a page is empty. */
export function pagesFrom<T>(
  firstPageNo: number,
  fetchPage: (pageNo: number) => Promise<{ hasMore: boolean; data: readonly T[] }>,
): PageSource<T> {
  let pageNo = firstPageNo;
  let more = true;
  return async () => {
    if (!more) return undefined;
    const page = await fetchPage(pageNo++);
    if (!page.hasMore || page.data.length === 0) more = false;
    return page.data;
  };
}

/** Sources one after the other, each made only when the one before it is exhausted. */
export function concatSources<T>(makeSources: () => Iterator<PageSource<T>>): PageSource<T> {
  let sources: Iterator<PageSource<T>> | undefined;
  let current: PageSource<T> | undefined;
  return async () => {
    sources ??= makeSources();
    for (;;) {
      if (current) {
        const page = await current();
        if (page !== undefined) return page;
      }
      const next = sources.next();
      if (next.done) return undefined;
      current = next.value;
    }
  };
}
