/**
 * The simulated platform's records. Shapes are taken from the catalogue where the platform
 * answers them, so what the simulator stores is what it serves.
 */
import type { OperationRequest, OperationResult } from "@parkbridge/shared";

type AddVehicleRequest = OperationRequest<"addVehicle">;

/** An authorised vehicle as addVehicle stores it (defaults filled in). */
export type Authorisation = AddVehicleRequest & { laneNos: string; lotNum: number };

export interface Lane {
  /** What openGate takes, e.g. "park1-1". */
  laneId: string;
  laneNo: string;
  laneName: string;
  direction: "in" | "out";
  cameraOnline: boolean;
}

export interface VehicleInPark {
  vehicleCode: string;
  /** 1 monthly, 2 free, a custom type id, or 9 temporary. */
  vehicleType: string;
  laneNo: string;
  /** yyyy-MM-dd HH:mm:ss, UTC+8. */
  intime: string;
  enteredAt: number;
  visitor: boolean;
}

/** One row of listAccessRecords (accessType 1 in, 2 out). */
export interface AccessRecord {
  recordId: number;
  vehicleCode: string;
  vehicleType: string;
  accessType: "1" | "2";
  time: string;
  laneNo: string;
  laneName: string;
  photo: string;
  parkingId: string;
  userName: string;
  workNo: string;
  phoneNum: string;
}

export type Visitor = Required<
  Pick<
    OperationResult<"getVisitor">,
    "parkingId" | "vehicleCode" | "userName" | "userPhoneNumber" | "startTime" | "endTime" | "memo"
  >
> & { otherInfo: Record<string, string> };

export interface BlacklistEntry {
  vehicleCode: string;
  stopTime: string;
}

export interface VehicleType {
  recordId: number;
  vehicleTypeCode: string;
  vehicleTypeName: string;
  showName: string;
}

export type Coupon = OperationRequest<"issueCoupon"> & { couponId: number; issuedAt: string };
export type Outing = OperationRequest<"authorizeOuting"> & { grantedAt: string };
export interface GateOpening {
  laneId: string;
  laneNo: string;
  at: string;
}

export interface Lot {
  parkingId: string;
  name: string;
  totalLot: number;
  /** Spaces reserved for monthly (staff) vehicles; the rest are for temporary vehicles. */
  mothTotalLot: number;
  /** Province + office letter for plates generated here, e.g. "鲁A". */
  plateRegion: string;
  lanes: Lane[];
  authorisations: Map<string, Authorisation>;
  blacklist: Map<string, BlacklistEntry>;
  inPark: Map<string, VehicleInPark>;
  /** Sorted by time; `at` is the instant (ms) of `record.time`. */
  records: Array<{ at: number; record: AccessRecord }>;
  visitors: Map<string, Visitor>;
  vehicleTypes: VehicleType[];
  coupons: Coupon[];
  outings: Outing[];
  gateOpenings: GateOpening[];
}

/** Space counts, as getLotStats answers them. tempLot = free temporary spaces (as in the access callback). */
export interface LotStats {
  totalLot: number;
  usedLot: number;
  visitorUsedLot: number;
  mothTotalLot: number;
  mothUsedLot: number;
  tempLot: number;
}
