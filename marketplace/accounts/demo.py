"""Demo organisations and users: an operator and every kind of organisation in the pool."""

from __future__ import annotations

import secrets

from ..demo import DemoContext, demo_step
from ..demo.names import make_uscc, person_name
from ..extensions import db
from ..types import utcnow
from .models import Organization, OrgKind, OrgRole, OrgStatus, SiteRole, User

# key, name, kind, is_sme, USCC authority+entity, role label for the printed logins
ORGANISATIONS = [
    ("regulator", "福州市鼓楼区市场监督管理局（知识产权局）", OrgKind.regulator, False, "11", "平台运营（监管部门）"),
    ("uni_minjiang", "闽江理工大学", OrgKind.university, False, "12", "高校技术转移中心"),
    ("uni_haixi", "海西师范大学", OrgKind.university, False, "12", "高校技术转移中心"),
    ("inst_optics", "福建省光电信息研究院", OrgKind.institute, False, "12", "科研院所"),
    ("ent_xinrui", "福州芯锐微电子有限公司", OrgKind.enterprise, True, "91", "中小企业（电子信息）"),
    ("ent_kangyuan", "福建康源生物医药科技有限公司", OrgKind.enterprise, True, "91", "中小企业（生物医药）"),
    ("ent_shuzhi", "鼓楼数智云科技有限公司", OrgKind.enterprise, True, "91", "中小企业（大数据）"),
    ("ent_minfeng", "闽峰智能装备股份有限公司", OrgKind.enterprise, False, "91", "企业（高端装备）"),
    ("ent_haiyun", "海韵新能源集团有限公司", OrgKind.enterprise, False, "91", "企业（新能源）"),
    ("bank_xingmin", "兴闽银行福州鼓楼支行", OrgKind.bank, False, "91", "银行信贷员"),
    ("bank_rongcheng", "榕城农商银行科技支行", OrgKind.bank, False, "91", "银行信贷员"),
    ("insurer_anxin", "安信财产保险股份有限公司福建分公司", OrgKind.insurer, False, "91", "保险承保人"),
    ("agency_zhiheng", "福建智衡知识产权评估有限公司", OrgKind.agency, False, "91", "评估机构"),
]

SLUGS = {
    "regulator": "operator", "uni_minjiang": "mjut", "uni_haixi": "hxnu", "inst_optics": "fjoi",
    "ent_xinrui": "xinrui", "ent_kangyuan": "kangyuan", "ent_shuzhi": "shuzhi", "ent_minfeng": "minfeng",
    "ent_haiyun": "haiyun", "bank_xingmin": "xingmin", "bank_rongcheng": "rongcheng",
    "insurer_anxin": "anxin", "agency_zhiheng": "zhiheng",
}


def demo_password() -> str:
    return "Demo-" + secrets.token_urlsafe(9)


@demo_step(order=10)
def organisations_and_users(ctx: DemoContext) -> None:
    for key, name, kind, is_sme, code, role_label in ORGANISATIONS:
        org = Organization(
            name=name, kind=kind, is_sme=is_sme, uscc=make_uscc(ctx.rng, code[0], code[1]),
            region="福建省福州市鼓楼区", address=f"福州市鼓楼区{ctx.rng.choice(['五四路', '东街', '铜盘路', '工业路', '杨桥中路', '湖东路'])}{ctx.rng.randint(1, 300)}号",
            contact_phone=f"0591-8{ctx.rng.randint(1000000, 9999999)}",
            status=OrgStatus.verified, reviewed_at=utcnow(),
        )
        db.session.add(org)
        db.session.flush()
        ctx.orgs[key] = org
        slug = SLUGS[key]
        admin = User(email=f"{slug}@demo.ip-pool.cn", name=person_name(ctx.rng), organization=org,
                     org_role=OrgRole.admin,
                     site_role=SiteRole.operator if kind == OrgKind.regulator else SiteRole.user)
        password = demo_password()
        admin.set_password(password)
        db.session.add(admin)
        ctx.users[key] = admin
        ctx.logins.append((role_label, admin.email, password))
        org.contact_name, org.contact_email = admin.name, admin.email
        if kind != OrgKind.regulator:
            member = User(email=f"{slug}.staff@demo.ip-pool.cn", name=person_name(ctx.rng), organization=org,
                          org_role=OrgRole.member)
            member.set_password(demo_password())  # not printed: sign in as the admin
            db.session.add(member)
            ctx.users[key + ".member"] = member
