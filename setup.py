"""Packaging for tf_compat_bn."""
import setuptools

setuptools.setup(
    name="tf-compat-bn",
    version="0.1.0",
    description=(
        "tf.contrib.layers.batch_norm / tf_slim.batch_norm and tf.layers "
        "BatchNormalization for tf.compat.v1 graphs on modern TensorFlow, "
        "without Keras."
    ),
    packages=["tf_compat_bn", "tf_compat_bn.layers"],
    python_requires=">=3.9",
    install_requires=["tensorflow>=2.12"],
    entry_points={
        "console_scripts": ["tf-compat-bn = tf_compat_bn.__main__:main"],
    },
    extras_require={
        "test": ["pytest", "absl-py", "tf-slim==1.1.0"],
        "contrib": ["tf-slim==1.1.0"],
    },
)
