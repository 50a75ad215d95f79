/**
 * The per-item loop every action node shares: one run per input item, results paired to
 * their item, failures turned into n8n errors, and Continue On Fail honoured item by item.
 */
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from "n8n-workflow";
import { type FieldTitles, toNodeError } from "./errors";

export async function runForEachItem(
  context: IExecuteFunctions,
  run: (itemIndex: number) => Promise<IDataObject | IDataObject[]>,
  titleOf?: FieldTitles,
): Promise<INodeExecutionData[][]> {
  const items = context.getInputData();
  const output: INodeExecutionData[] = [];
  for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
    try {
      const result = await run(itemIndex);
      output.push(
        ...context.helpers.constructExecutionMetaData(context.helpers.returnJsonArray(result), {
          itemData: { item: itemIndex },
        }),
      );
    } catch (error) {
      const nodeError = toNodeError(context.getNode(), error, itemIndex, titleOf);
      if (!context.continueOnFail()) throw nodeError;
      output.push({ json: { error: nodeError.message }, pairedItem: { item: itemIndex } });
    }
  }
  return [output];
}
