// The style of every plain-text table (the CLI's report, --targets, compare, measure; the editor shows
// them too): no borders, two spaces between columns, no colours. Free of Node APIs: the client imports it.

/** cli-table3 options: spread into `new Table({ head, colAligns, ...TABLE_STYLE })` */
export const TABLE_STYLE = {
  chars: { top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
    left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ' },
  style: { head: [] as string[], border: [] as string[], 'padding-left': 0, 'padding-right': 0 },
};
