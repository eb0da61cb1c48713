//! Broken-down local time, for `-printf %t`/`%T…`, `-ls` and `-daystart`. musl's
//! localtime_r reads `TZ` (and /etc/localtime), as the C find does.

/// The fields of `struct tm` that find prints.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tm {
    pub year: i32,
    /// 0–11.
    pub mon: i32,
    pub mday: i32,
    pub hour: i32,
    pub min: i32,
    pub sec: i32,
    /// 0 = Sunday.
    pub wday: i32,
    /// 0–365.
    pub yday: i32,
    /// Seconds east of UTC.
    pub gmtoff: i64,
    /// The zone's abbreviation (`UTC`, `CET`).
    pub zone: String,
}

pub fn local(secs: i64) -> Tm {
    let t: libc::time_t = secs;
    // SAFETY: an all-zero `struct tm` is a valid value (plain integers and a null zone pointer).
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers refer to live, properly aligned locals for the whole call;
    // localtime_r is the reentrant form and keeps no pointer to them.
    let ok = unsafe { !libc::localtime_r(&t, &mut tm).is_null() };
    if !ok {
        return Tm::default();
    }
    Tm {
        year: tm.tm_year + 1900,
        mon: tm.tm_mon,
        mday: tm.tm_mday,
        hour: tm.tm_hour,
        min: tm.tm_min,
        sec: tm.tm_sec,
        wday: tm.tm_wday,
        yday: tm.tm_yday,
        gmtoff: tm.tm_gmtoff,
        zone: zone_name(tm.tm_zone),
    }
}

fn zone_name(zone: *const libc::c_char) -> String {
    if zone.is_null() {
        return String::new();
    }
    // SAFETY: a non-null tm_zone from localtime_r points to a NUL-terminated string that the
    // C library keeps for the life of the process (its timezone tables).
    unsafe { std::ffi::CStr::from_ptr(zone) }
        .to_string_lossy()
        .into_owned()
}

pub const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
pub const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

impl Tm {
    pub fn day_name(&self) -> &'static str {
        DAYS.get(self.wday as usize).copied().unwrap_or("???")
    }

    pub fn month_name(&self) -> &'static str {
        MONTHS.get(self.mon as usize).copied().unwrap_or("???")
    }
}

/// The start of the day after `secs` in local time: where `-daystart` measures ages from.
pub fn end_of_today(secs: i64) -> i64 {
    let tm = local(secs);
    secs - i64::from(tm.hour * 3600 + tm.min * 60 + tm.sec) + 86400
}
