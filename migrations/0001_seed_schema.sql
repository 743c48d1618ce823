-- Up Migration
-- The seed's tables, exactly as domain_customers_ecosystem_001 defines them.
-- Other teams query these: columns, types, defaults and indexes are a contract.
-- addresses comes first because customers references it.

CREATE TABLE IF NOT EXISTS addresses (
    id           SERIAL PRIMARY KEY,
    address      VARCHAR(255),
    neighborhood VARCHAR(100),
    country      VARCHAR(100),
    city         VARCHAR(100),
    zip_code     VARCHAR(20),
    complement   VARCHAR(255),
    number       VARCHAR(20),
    ip           VARCHAR(45),
    created_at   TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP,
    updated_at   TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP,
    state        VARCHAR(100)
);

CREATE INDEX idx_addresses_zip_code ON addresses (zip_code);
CREATE INDEX idx_addresses_city ON addresses (city);
CREATE INDEX idx_addresses_country ON addresses (country);
CREATE INDEX idx_addresses_state ON addresses (state);

CREATE TABLE IF NOT EXISTS customers (
    id               SERIAL PRIMARY KEY,
    email            VARCHAR(255) UNIQUE,
    name             VARCHAR(255),
    customer_id      VARCHAR(255),
    address_id       INTEGER REFERENCES addresses,
    created_at       TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP,
    updated_at       TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP,
    phone_local_code VARCHAR(10),
    phone_number     VARCHAR(20),
    document_type    VARCHAR(10),
    document_number  VARCHAR(55)
);

CREATE INDEX idx_customers_email ON customers (email);
CREATE INDEX idx_customers_customer_id ON customers (customer_id);
CREATE INDEX idx_customers_address_id ON customers (address_id);
CREATE INDEX idx_customers_email_lower ON customers (lower(email::text));

CREATE TABLE IF NOT EXISTS customer_logs (
    id          SERIAL PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers ON DELETE CASCADE,
    field_name  VARCHAR(100) NOT NULL,
    old_value   TEXT,
    new_value   TEXT,
    changed_by  VARCHAR(100) DEFAULT 'SYSTEM',
    created_at  TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP,
    updated_at  TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX idx_customer_logs_customer_id ON customer_logs (customer_id);
CREATE INDEX idx_customer_logs_created_at ON customer_logs (created_at);

-- Down Migration
DROP TABLE IF EXISTS customer_logs;
DROP TABLE IF EXISTS customers;
DROP TABLE IF EXISTS addresses;
