// Placeholder replaced by the snippet work (issue 4).
declare const DEBUG: boolean;
if (DEBUG) console.log('order-relay');
