/**
 * "Is the platform's authorisation of this plate still the one this grant made?" Asked before
 * every deletion (sweep and API), so a plate given other access since (a monthly pass, a later
 * end date, someone else's authorisation) is never revoked by an ending grant.
 */
import type { PagedItem } from "@parkbridge/shared";
import { type GrantRow, grantIdInRemark } from "./grant.js";

export type Authorisation = PagedItem<"listVehicles">;

export type Ownership =
  | { kind: "owned"; authorisation: Authorisation }
  | { kind: "gone" }
  | { kind: "superseded"; reason: string; authorisation: Authorisation };

const FREE_TYPE = "2";

export function judgeOwnership(grant: GrantRow, authorisation: Authorisation | undefined): Ownership {
  if (!authorisation) return { kind: "gone" };
  const superseded = (reason: string): Ownership => ({ kind: "superseded", reason, authorisation });
  if (String(authorisation.vehicleType) !== FREE_TYPE) {
    return superseded(
      `the plate now has vehicleType ${authorisation.vehicleType} (${authorisation.vehicleType === "1" ? "monthly" : "custom type"}), not the free authorisation of this grant`,
    );
  }
  const endDate = authorisation.endTime?.slice(0, 10);
  if (endDate && endDate > grant.platform_end_date) {
    return superseded(`the plate's authorisation now ends ${endDate}, after this grant's ${grant.platform_end_date}`);
  }
  const markedFor = grantIdInRemark(authorisation.remark);
  if (markedFor && markedFor !== grant.id) return superseded(`the plate's authorisation belongs to grant ${markedFor}`);
  // A grant made through the API marked its authorisation; one with another remark was made by someone else.
  if (grant.source === "api" && !markedFor && authorisation.remark) {
    return superseded("the plate's authorisation was made by someone else (its remark has no mark of this grant)");
  }
  return { kind: "owned", authorisation };
}
