//! Hot paths of the OTP layer: payload decryption with a cached key (target ≤ 50 µs), Verify
//! code validation, TOTP checks, backup-code redemption and secret unsealing.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use keycadence_otp::{
    payload, AtRestKey, AttemptPolicy, BackupCodes, BackupHashCost, CodeBinding, FactorLabel,
    KdfVersion, KeyCache, OtpPolicy, OtpRecord, OtpService, PayloadKey, RequestedVersion,
    SecretSealer, TotpConfig, TotpFactor, TotpSecret, UnixMillis, UserIdentifier, VerifyPayload,
};
use rand::rngs::StdRng;
use rand::SeedableRng;

const APP: &str = "app456";
const SECRET: &str = "s3cr3t";

fn payload_decryption(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(1);
    let cache = KeyCache::new(64);
    let now = UnixMillis(1_700_000_000_000);
    let fields = VerifyPayload {
        email: Some("alice@example.com".into()),
        phone_number: Some("+15551234567".into()),
        language: Some("en".into()),
        ts: Some(now),
        ..Default::default()
    };
    let pbkdf2 = payload::seal(
        &PayloadKey::derive(SECRET, APP, KdfVersion::V1_1Pbkdf2),
        &fields,
        &mut rng,
    );
    let scrypt = payload::seal(
        &PayloadKey::derive(SECRET, APP, KdfVersion::V1_0Scrypt),
        &fields,
        &mut rng,
    );
    let stated = RequestedVersion::Stated(KdfVersion::V1_1Pbkdf2);
    // Warm the cache with both keys.
    payload::open(&cache, APP, SECRET, &scrypt, RequestedVersion::Unstated).unwrap();

    let mut group = c.benchmark_group("payload");
    group.bench_function("open v1.1 cached key", |b| {
        b.iter(|| payload::open(&cache, APP, SECRET, black_box(&pbkdf2), stated).unwrap())
    });
    group.bench_function("open unstated v1.0 cached keys (PBKDF2 tried first)", |b| {
        b.iter(|| {
            payload::open(
                &cache,
                APP,
                SECRET,
                black_box(&scrypt),
                RequestedVersion::Unstated,
            )
            .unwrap()
        })
    });
    group.sample_size(10);
    group.bench_function("derive PBKDF2-SHA512 key (cache miss)", |b| {
        b.iter(|| PayloadKey::derive(black_box(SECRET), APP, KdfVersion::V1_1Pbkdf2))
    });
    group.bench_function("derive scrypt key (cache miss)", |b| {
        b.iter(|| PayloadKey::derive(black_box(SECRET), APP, KdfVersion::V1_0Scrypt))
    });
    group.finish();
}

fn code_checks(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(2);
    let now = UnixMillis(1_700_000_000_000);
    let otp = OtpService::new(OtpPolicy::default(), &[0x5a; 32]).unwrap();
    let binding = CodeBinding::new(APP, &UserIdentifier::Email("alice@example.com".into()));
    let issued = otp
        .issue(&OtpRecord::default(), &binding, now, &mut rng)
        .unwrap();
    let code = issued.code.as_str().to_owned();

    let mut group = c.benchmark_group("codes");
    group.bench_function("verify code validate (match)", |b| {
        b.iter(|| otp.validate(black_box(&issued.next), &binding, black_box(&code), now))
    });
    group.bench_function("verify code issue", |b| {
        b.iter(|| {
            otp.issue(black_box(&OtpRecord::default()), &binding, now, &mut rng)
                .unwrap()
        })
    });

    let sealer = SecretSealer::new(&AtRestKey::generate(&mut rng));
    let secret = TotpSecret::generate(&mut rng);
    let label = FactorLabel::new("Acme", "alice").unwrap();
    let config = TotpConfig::default();
    let factor = TotpFactor::create(config, &secret, &label, &sealer, "YF01", &mut rng)
        .unwrap()
        .factor;
    let totp_code = keycadence_otp::totp::totp(&secret, now.as_secs(), &config);
    let limits = AttemptPolicy::default();
    group.bench_function("totp check (unseal + 3 steps)", |b| {
        b.iter(|| {
            factor
                .check(black_box(&totp_code), &sealer, "YF01", &limits, now)
                .unwrap()
        })
    });

    let backup = BackupCodes::new(&[0x5a; 32], BackupHashCost::default()).unwrap();
    let set = backup.generate(&mut rng);
    let backup_code = set.codes[3].display();
    group.sample_size(10);
    group.bench_function("backup code redeem (argon2id 19 MiB, t=2)", |b| {
        b.iter(|| backup.redeem(black_box(&set.set), black_box(&backup_code), &limits, now))
    });
    group.finish();
}

criterion_group!(benches, payload_decryption, code_checks);
criterion_main!(benches);
