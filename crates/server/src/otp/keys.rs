//! The key material of one-time codes. Two secrets protect the stored state: the OTP pepper
//! (at least 32 bytes; keys the hashes of Verify codes, user identifiers and backup codes) and
//! the at-rest key (32 bytes as 64 hex digits; seals client secrets, SMS gateway tokens, TOTP
//! secrets and enrolled patterns). Each comes from the configuration or, when absent, from a
//! file in the data directory, generated on first use. The same flags serve `serve` and the
//! commands that seal or open ([`KeyArgs`]).

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use clap::Args;
use keycadence_otp::at_rest::SecretSealer;
use keycadence_otp::hashing::PepperTooShort;
use keycadence_otp::{AtRestKey, AtRestKeyError};
use rand::RngCore;
use serde::Deserialize;
use zeroize::Zeroizing;

use super::settings::OtpFile;

/// A configured secret: never printed by `Debug`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Secret(s.to_string()))
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

/// Where the keys come from, as flags or environment variables (over the config file's
/// `[otp]` table).
#[derive(Clone, Debug, Default, Args)]
pub struct KeyArgs {
    /// Directory of the generated OTP pepper and at-rest key files (default: the SQLite
    /// database's directory, else the working directory).
    #[arg(long, env = "KEYCADENCE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Pepper of code and identifier hashes: hex, at least 64 digits (32 bytes).
    #[arg(long, env = "KEYCADENCE_OTP_PEPPER", hide_env_values = true)]
    pub otp_pepper: Option<Secret>,
    /// Key sealing secrets at rest: 64 hex digits.
    #[arg(long, env = "KEYCADENCE_AT_REST_KEY", hide_env_values = true)]
    pub at_rest_key: Option<Secret>,
    /// Earlier at-rest keys (64 hex digits each, comma-separated), still read while
    /// `keys rotate-at-rest` re-seals their values under the current key.
    #[arg(
        long,
        env = "KEYCADENCE_PREVIOUS_AT_REST_KEYS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub previous_at_rest_keys: Option<Vec<Secret>>,
}

impl KeyArgs {
    /// These keys, each over the config file's.
    pub fn sources(&self, file: &OtpFile) -> KeySources {
        let pick = |flag: &Option<Secret>, file: &Option<Secret>| flag.clone().or(file.clone());
        KeySources {
            data_dir: self.data_dir.clone().or(file.data_dir.clone()),
            otp_pepper: pick(&self.otp_pepper, &file.otp_pepper),
            at_rest_key: pick(&self.at_rest_key, &file.at_rest_key),
            previous_at_rest_keys: self
                .previous_at_rest_keys
                .clone()
                .or(file.previous_at_rest_keys.clone())
                .unwrap_or_default(),
        }
    }
}

/// Where the pepper and the at-rest key come from.
#[derive(Clone, Debug, Default)]
pub struct KeySources {
    pub data_dir: Option<PathBuf>,
    pub otp_pepper: Option<Secret>,
    pub at_rest_key: Option<Secret>,
    /// Keys of a rotation in progress: they open, never seal.
    pub previous_at_rest_keys: Vec<Secret>,
}

/// The pepper and the at-rest keys in memory.
pub struct OtpKeys {
    pub pepper: Zeroizing<Vec<u8>>,
    pub at_rest: AtRestKey,
    /// Earlier at-rest keys, for values not re-sealed yet.
    pub previous_at_rest: Vec<AtRestKey>,
}

impl OtpKeys {
    /// Seals with the current at-rest key, opens with it or a previous one.
    pub fn sealer(&self) -> SecretSealer {
        self.previous_at_rest
            .iter()
            .fold(SecretSealer::new(&self.at_rest), |sealer, key| {
                sealer.with_previous(key)
            })
    }
}

/// A key file created because the configuration named no key (worth a log line: losing it
/// makes every sealed secret and stored code unreadable).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedKey {
    pub what: &'static str,
    pub path: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum OtpKeyError {
    #[error("the OTP pepper {origin} is not hexadecimal")]
    PepperNotHex { origin: String },
    #[error("the OTP pepper {origin} is too short: {source}")]
    PepperTooShort {
        origin: String,
        #[source]
        source: PepperTooShort,
    },
    #[error("the at-rest key {origin}: {source}")]
    AtRestKey {
        origin: String,
        #[source]
        source: AtRestKeyError,
    },
    #[error("key file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

pub const PEPPER_FILE: &str = "otp-pepper";
pub const AT_REST_KEY_FILE: &str = "at-rest-key";
const GENERATED_PEPPER_BYTES: usize = 32;

impl KeySources {
    /// The data directory: as configured, else the SQLite database's directory, else the
    /// working directory.
    pub fn data_dir(&self, database_url: &str) -> PathBuf {
        self.data_dir
            .clone()
            .or_else(|| sqlite_dir(database_url))
            .unwrap_or_else(|| PathBuf::from("."))
    }

    /// The key files in use that lie in the SQLite database's directory: whoever copies that
    /// directory (a backup, a snapshot, a stolen disk image) has the keys with the data they
    /// protect. (name, environment variable that gives the key instead, path.)
    pub fn files_beside_database(
        &self,
        database_url: &str,
    ) -> Vec<(&'static str, &'static str, PathBuf)> {
        let Some(database_dir) = sqlite_dir(database_url) else {
            return Vec::new();
        };
        let dir = self.data_dir(database_url);
        let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
            (Ok(a), Ok(b)) => a == b,
            _ => a == b,
        };
        if !same(&dir, &database_dir) {
            return Vec::new();
        }
        let mut files = Vec::new();
        if self.otp_pepper.is_none() {
            files.push(("OTP pepper", "KEYCADENCE_OTP_PEPPER", dir.join(PEPPER_FILE)));
        }
        if self.at_rest_key.is_none() {
            files.push((
                "at-rest key",
                "KEYCADENCE_AT_REST_KEY",
                dir.join(AT_REST_KEY_FILE),
            ));
        }
        files
    }

    /// Reads the configured keys, or the key files of the data directory, creating (mode 0600)
    /// the files that do not exist yet. Returns the keys and the files it created.
    pub fn load_or_generate(
        &self,
        database_url: &str,
    ) -> Result<(OtpKeys, Vec<GeneratedKey>), OtpKeyError> {
        let dir = self.data_dir(database_url);
        let mut generated = Vec::new();
        let (pepper_hex, pepper_origin) = match &self.otp_pepper {
            Some(secret) => (
                Zeroizing::new(secret.expose().to_string()),
                "from the configuration".to_string(),
            ),
            None => {
                let path = dir.join(PEPPER_FILE);
                let text =
                    read_or_create(&path, GENERATED_PEPPER_BYTES, "OTP pepper", &mut generated)?;
                (text, format!("in {}", path.display()))
            }
        };
        let pepper = Zeroizing::new(hex::decode(pepper_hex.trim()).map_err(|_| {
            OtpKeyError::PepperNotHex {
                origin: pepper_origin.clone(),
            }
        })?);
        if pepper.len() < keycadence_otp::hashing::MIN_PEPPER_LEN {
            return Err(OtpKeyError::PepperTooShort {
                origin: pepper_origin,
                source: PepperTooShort { len: pepper.len() },
            });
        }
        let (key_hex, key_origin) = match &self.at_rest_key {
            Some(secret) => (
                Zeroizing::new(secret.expose().to_string()),
                "from the configuration".to_string(),
            ),
            None => {
                let path = dir.join(AT_REST_KEY_FILE);
                let text = read_or_create(&path, 32, "at-rest key", &mut generated)?;
                (text, format!("in {}", path.display()))
            }
        };
        let at_rest = AtRestKey::from_hex(&key_hex).map_err(|source| OtpKeyError::AtRestKey {
            origin: key_origin,
            source,
        })?;
        let previous_at_rest = self
            .previous_at_rest_keys
            .iter()
            .enumerate()
            .map(|(i, secret)| {
                AtRestKey::from_hex(secret.expose()).map_err(|source| OtpKeyError::AtRestKey {
                    origin: format!("(previous key {})", i + 1),
                    source,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok((
            OtpKeys {
                pepper,
                at_rest,
                previous_at_rest,
            },
            generated,
        ))
    }
}

/// The directory of a SQLite database file (`None` for PostgreSQL and in-memory databases).
fn sqlite_dir(database_url: &str) -> Option<PathBuf> {
    let rest = database_url.strip_prefix("sqlite:")?;
    let path = rest.trim_start_matches("//");
    let path = path.split('?').next().unwrap_or("");
    if path.is_empty() || path.contains(":memory:") {
        return None;
    }
    match Path::new(path).parent() {
        Some(parent) if !parent.as_os_str().is_empty() => Some(parent.to_path_buf()),
        _ => Some(PathBuf::from(".")),
    }
}

/// The hex text of a key file, creating it with `bytes` random bytes when missing.
fn read_or_create(
    path: &Path,
    bytes: usize,
    what: &'static str,
    generated: &mut Vec<GeneratedKey>,
) -> Result<Zeroizing<String>, OtpKeyError> {
    let io = |source| OtpKeyError::Io {
        path: path.to_path_buf(),
        source,
    };
    match std::fs::read_to_string(path) {
        Ok(text) => return Ok(Zeroizing::new(text)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => return Err(io(err)),
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    let mut raw = Zeroizing::new(vec![0u8; bytes]);
    rand::rngs::OsRng.fill_bytes(&mut raw);
    let text = Zeroizing::new(hex::encode(&*raw));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(format!("{}\n", &*text).as_bytes())
                .and_then(|()| file.sync_all())
                .map_err(io)?;
            generated.push(GeneratedKey {
                what,
                path: path.to_path_buf(),
            });
            Ok(text)
        }
        // Another process created it first: use theirs.
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
            std::fs::read_to_string(path)
                .map(Zeroizing::new)
                .map_err(io)
        }
        Err(err) => Err(io(err)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_dir_follows_the_sqlite_file() {
        let keys = KeySources::default();
        assert_eq!(
            keys.data_dir("sqlite:/var/lib/kc/k.db"),
            PathBuf::from("/var/lib/kc")
        );
        assert_eq!(
            keys.data_dir("sqlite:///srv/k.db?mode=rwc"),
            PathBuf::from("/srv")
        );
        assert_eq!(keys.data_dir("sqlite:k.db"), PathBuf::from("."));
        assert_eq!(keys.data_dir("postgres://h/db"), PathBuf::from("."));
        let explicit = KeySources {
            data_dir: Some("/etc/kc".into()),
            ..KeySources::default()
        };
        assert_eq!(
            explicit.data_dir("sqlite:/x/y.db"),
            PathBuf::from("/etc/kc")
        );
    }

    #[test]
    fn key_files_beside_a_sqlite_database_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("k.db").display());
        let names = |sources: &KeySources, url: &str| -> Vec<&str> {
            let files = sources.files_beside_database(url);
            files.iter().map(|(what, _, _)| *what).collect()
        };
        assert_eq!(
            names(&KeySources::default(), &url),
            ["OTP pepper", "at-rest key"]
        );
        let elsewhere = KeySources {
            data_dir: Some(dir.path().join("keys")),
            ..KeySources::default()
        };
        assert!(names(&elsewhere, &url).is_empty());
        let given = KeySources {
            at_rest_key: Some("00".repeat(32).parse().unwrap()),
            ..KeySources::default()
        };
        assert_eq!(names(&given, &url), ["OTP pepper"]);
        assert!(names(&KeySources::default(), "postgres://h/db").is_empty());
    }

    #[test]
    fn missing_keys_are_generated_once_and_then_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("k.db").display());
        let sources = KeySources::default();
        let (first, generated) = sources.load_or_generate(&url).unwrap();
        assert_eq!(generated.len(), 2);
        assert_eq!(first.pepper.len(), 32);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(AT_REST_KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let (second, generated) = sources.load_or_generate(&url).unwrap();
        assert!(generated.is_empty());
        assert_eq!(*second.pepper, *first.pepper);
        assert_eq!(second.at_rest.to_hex(), first.at_rest.to_hex());
    }

    #[test]
    fn configured_keys_are_checked() {
        let with = |pepper: &str, key: &str| KeySources {
            data_dir: None,
            otp_pepper: Some(Secret(pepper.into())),
            at_rest_key: Some(Secret(key.into())),
            previous_at_rest_keys: Vec::new(),
        };
        let key = "ab".repeat(32);
        assert!(with(&"01".repeat(32), &key)
            .load_or_generate("postgres://h/d")
            .is_ok());
        assert!(matches!(
            with(&"01".repeat(16), &key).load_or_generate("postgres://h/d"),
            Err(OtpKeyError::PepperTooShort { .. })
        ));
        assert!(matches!(
            with("zz", &key).load_or_generate("postgres://h/d"),
            Err(OtpKeyError::PepperNotHex { .. })
        ));
        assert!(matches!(
            with(&"01".repeat(32), "abcd").load_or_generate("postgres://h/d"),
            Err(OtpKeyError::AtRestKey { .. })
        ));
    }

    #[test]
    fn secrets_do_not_print() {
        let args = KeyArgs {
            otp_pepper: Some(Secret("s3cr3t".into())),
            ..KeyArgs::default()
        };
        assert!(!format!("{args:?}").contains("s3cr3t"));
    }
}
