/** What every handler shares: the refusal it throws, lot lookup and paging. */
import type { CallableOperationId, OperationRequest } from "@parkbridge/shared";
import type { Lot } from "../model.js";
import type { SimulatorState } from "../state.js";

export interface HandlerContext {
  state: SimulatorState;
  /** The request's arrival time, Unix ms. */
  now: number;
  /** listAccessRecords leaves out accesses younger than this (the lateRecord fault; default 0). */
  recordLagMs?: number;
}

/** Answers the payload (undefined for writes: the envelope then has no result). */
export type Handler<K extends CallableOperationId> = (request: OperationRequest<K>, context: HandlerContext) => unknown;

export type HandlerTable<K extends CallableOperationId> = { [Id in K]: Handler<Id> };

/** The platform refused: answered as `{code: 1, msg}` with the platform's Chinese message. */
export class Refusal extends Error {
  override name = "Refusal";
}

/** The lot a request names; with several lots the id is required (多车场必传). */
export function lotOf(state: SimulatorState, parkingId: string | undefined): Lot {
  if (parkingId === undefined) {
    const lots = state.lots();
    if (lots.length === 1) return lots[0] as Lot;
    throw new Refusal("参数错误:车场编号(parkingId)不能为空 - 多车场必传");
  }
  const lot = state.lot(parkingId);
  if (!lot) throw new Refusal(`车场不存在:${parkingId}`);
  return lot;
}

/** One page, `hasMore` spelled as in the platform's examples. */
export function page<T, U = T>(
  items: readonly T[],
  request: { pageNo: number; pageSize: number },
  map?: (item: T) => U,
): { hasMore: boolean; data: U[] } {
  const start = (request.pageNo - 1) * request.pageSize;
  const slice = items.slice(start, start + request.pageSize);
  return {
    hasMore: start + request.pageSize < items.length,
    data: map ? slice.map(map) : (slice as unknown as U[]),
  };
}
