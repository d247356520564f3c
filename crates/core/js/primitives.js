// The JavaScript primitives of keycadence-core's `browser-js` build (crates/core/src/js.rs): each
// is the very operation the reference recorder applies, taken from the browser, with plain
// numbers and strings in and out (one call each, no JavaScript objects handed to the module).

/** `Number(x.toFixed(4))`, the recorder's `rd4`. */
export const rd4 = (x) => Number(x.toFixed(4));

/** `parseInt(s)`. */
export const parseInteger = (s) => parseInt(s);

/** `Number(s)`. */
export const stringToNumber = (s) => Number(s);

/** `String(x)` of a number (ASCII), its code units written into `out` (a view of the module's memory); returns its length. */
export const numberText = (x, out) => writeUnits(String(x), out);

/** The length of `value` when it is a string, -1 otherwise. */
export const stringLength = (value) => (typeof value == 'string' ? value.length : -1);

/** The UTF-16 code units of the string `value` into `out` (a view of the module's memory). */
export const stringUnits = (value, out) => writeUnits(value, out);

function writeUnits(text, out) {
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return text.length;
}

/** `s.toUpperCase()` (`upper`) or `s.toLowerCase()`. */
export const caseMapped = (s, upper) => (upper ? s.toUpperCase() : s.toLowerCase());

// The reference recorder's user-agent expressions, by the index of
// keycadence_core::device::UserAgentExpression (whose literals a test compares with these).
const USER_AGENT_EXPRESSIONS = [
  /(android|bb\d+|meego).+mobile|avantgo|bada\/|blackberry|blazer|compal|elaine|fennec|hiptop|iemobile|ip(hone|od)|iris|kindle|lge |maemo|midp|mmp|mobile.+firefox|netfront|opera m(ob|in)i|palm( os)?|phone|p(ixi|re)\/|plucker|pocket|psp|series(4|6)0|symbian|treo|up\.(browser|link)|vodafone|wap|windows ce|xda|xiino|android|ipad|playbook|silk/i,
  /1207|6310|6590|3gso|4thp|50[1-6]i|770s|802s|a wa|abac|ac(er|oo|s\-)|ai(ko|rn)|al(av|ca|co)|amoi|an(ex|ny|yw)|aptu|ar(ch|go)|as(te|us)|attw|au(di|\-m|r |s )|avan|be(ck|ll|nq)|bi(lb|rd)|bl(ac|az)|br(e|v)w|bumb|bw\-(n|u)|c55\/|capi|ccwa|cdm\-|cell|chtm|cldc|cmd\-|co(mp|nd)|craw|da(it|ll|ng)|dbte|dc\-s|devi|dica|dmob|do(c|p)o|ds(12|\-d)|el(49|ai)|em(l2|ul)|er(ic|k0)|esl8|ez([4-7]0|os|wa|ze)|fetc|fly(\-|_)|g1 u|g560|gene|gf\-5|g\-mo|go(\.w|od)|gr(ad|un)|haie|hcit|hd\-(m|p|t)|hei\-|hi(pt|ta)|hp( i|ip)|hs\-c|ht(c(\-| |_|a|g|p|s|t)|tp)|hu(aw|tc)|i\-(20|go|ma)|i230|iac( |\-|\/)|ibro|idea|ig01|ikom|im1k|inno|ipaq|iris|ja(t|v)a|jbro|jemu|jigs|kddi|keji|kgt( |\/)|klon|kpt |kwc\-|kyo(c|k)|le(no|xi)|lg( g|\/(k|l|u)|50|54|\-[a-w])|libw|lynx|m1\-w|m3ga|m50\/|ma(te|ui|xo)|mc(01|21|ca)|m\-cr|me(rc|ri)|mi(o8|oa|ts)|mmef|mo(01|02|bi|de|do|t(\-| |o|v)|zz)|mt(50|p1|v )|mwbp|mywa|n10[0-2]|n20[2-3]|n30(0|2)|n50(0|2|5)|n7(0(0|1)|10)|ne((c|m)\-|on|tf|wf|wg|wt)|nok(6|i)|nzph|o2im|op(ti|wv)|oran|owg1|p800|pan(a|d|t)|pdxg|pg(13|\-([1-8]|c))|phil|pire|pl(ay|uc)|pn\-2|po(ck|rt|se)|prox|psio|pt\-g|qa\-a|qc(07|12|21|32|60|\-[2-7]|i\-)|qtek|r380|r600|raks|rim9|ro(ve|zo)|s55\/|sa(ge|ma|mm|ms|ny|va)|sc(01|h\-|oo|p\-)|sdk\/|se(c(\-|0|1)|47|mc|nd|ri)|sgh\-|shar|sie(\-|m)|sk\-0|sl(45|id)|sm(al|ar|b3|it|t5)|so(ft|ny)|sp(01|h\-|v\-|v )|sy(01|mb)|t2(18|50)|t6(00|10|18)|ta(gt|lk)|tcl\-|tdg\-|tel(i|m)|tim\-|t\-mo|to(pl|sh)|ts(70|m\-|m3|m5)|tx\-9|up(\.b|g1|si)|utst|v400|v750|veri|vi(rg|te)|vk(40|5[0-3]|\-v)|vm40|voda|vulc|vx(52|53|60|61|70|80|81|83|85|98)|w3c(\-| )|webc|whit|wi(g |nc|nw)|wmlb|wonu|x700|yas\-|your|zeto|zte\-/i,
  /(ipad|tablet|(android(?!.*mobile))|(windows(?!.*phone)(.*touch))|kindle|playbook|silk|(puffin(?!.*(IP|AP|WP))))/i,
];

/**
 * The reference's test of `USER_AGENT_EXPRESSIONS[index]` against a user agent: the whole of it,
 * or its first four UTF-16 units for the mobile prefix expression (index 1). (`test` of an
 * expression without the g or y flag starts at 0 whatever came before.)
 */
export const userAgentTest = (index, userAgent) =>
  USER_AGENT_EXPRESSIONS[index].test(index == 1 ? userAgent.substr(0, 4) : userAgent);

/**
 * The reference's `getOSBrowserMobile` up to its device-type step, for the user agent and
 * platform read at construction (`mobile`: its cached `isMobile()`), into `out`: `[os,
 * osVersion, browser, browserVersion, deviceType, tablet user agent, IEMobile]`.
 * keycadence_core::device::CapturedDevice::detect_in_rust is the same in Rust, step by step (a
 * wasm test compares the two).
 */
export function detectDevice(ua, platform, mobile, out) {
  const has = (text) => ua.includes(text);
  // `/<prefix>[\d.]+/.exec(ua)[0].split('/')[1].split('.')[0]`, undefined without a match.
  const major = (prefix) => new RegExp(prefix + '[\\d.]+').exec(ua)?.[0].slice(prefix.length).split('.')[0];
  let os = 0;
  let browser = 0;
  // A string, as the reference keeps it ('' when none was found).
  let version = '';
  let deviceType = 1; // 1 pc, 2 phone, 3 tablet
  // The browser: the first of the chain whose name the user agent has (case-sensitive).
  if (has('MSIE')) {
    browser = 4;
    if (has('IEMobile')) deviceType = 2;
    version = /MSIE \d+[.]\d+/.exec(ua)?.[0].split(' ')[1].split('.')[0] ?? version;
  } else if (has('Edge')) {
    browser = 6;
    version = major('Edge/') ?? version;
  } else if (has('Chrome')) {
    if (has('CrOS')) platform = 'CrOS';
    browser = 1;
    version = major('Chrome/') ?? version;
  } else if (has('Opera')) {
    browser = 3;
    if (has('mini') || has('Mobile')) deviceType = 2;
  } else if (has('Android')) {
    browser = 7;
    deviceType = 2;
    os = 6;
  } else if (has('Firefox')) {
    browser = 2;
    if (has('Fennec')) deviceType = 2;
    version = major('Firefox/') ?? version;
  } else if (has('Safari')) {
    browser = 5;
    if (has('iPhone') || has('iPad') || has('iPod')) {
      os = 5;
      deviceType = has('iPad') ? 3 : 2;
    }
  }
  if (!version) version = major('Version/') ?? major('Opera/') ?? version;
  // The OS, from the platform.
  let osVersion = 0;
  if (platform == 'MacIntel' || platform == 'MacPPC') {
    os = 2;
    const mac = /10[._\d]+/.exec(ua);
    if (mac) {
      let digits = mac[0].split('.', 2).join('');
      if (digits.includes('_')) digits = digits.split('_').slice(0, 2).join('');
      osVersion = Number(digits);
    }
  } else if (platform == 'CrOS') os = 4;
  else if (platform == 'Win32' || platform == 'Win64') os = 1;
  else if (os == 0 && has('Android')) os = 6;
  else if (os == 0 && platform.includes('Linux')) os = 3;
  else if (os == 0 && has('Windows')) os = 1;
  out.set([
    os,
    osVersion,
    browser,
    Number(version),
    deviceType,
    deviceType != 3 && mobile && USER_AGENT_EXPRESSIONS[2].test(ua),
    has('IEMobile'),
  ]);
}
